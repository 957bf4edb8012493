"""The rollup counts every rating exactly once into sealed counters, even when it is interrupted or run twice
at the same time, and raises an alert for a red envelope or a comment."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from crypto import private_key_bytes
from intake.models import Submission
from intake.questionnaire import QUESTIONS
from intake.rating_models import Rating
from portal.rating_models import RatingAlert, RatingCounter
from portal.rating_opener import ParallelOpener, Sealed, SerialOpener
from portal.rating_rollup import pending, rollup, rollup_batch
from portal.rating_tally import counter_key, open_tally
from tests.rating_helpers import GOOD, POOR, department_id, head_keyring, store_rating

answer_sets = st.fixed_dictionaries({q.key: st.sampled_from([v for v, _ in q.answers]) for q in QUESTIONS})
rating_strategy = st.tuples(answer_sets, st.booleans(), st.sampled_from(["2026-01-15", "2026-02-28"]),
                            st.sampled_from(["骨科", "儿科", None]))


def counted_cells(db, keyring, office_id) -> Counter:
    """Everything the sealed counters hold, opened with the office key: (dept, month, source, q, a) -> n."""
    found: Counter = Counter()
    with db.transaction() as session:
        for row in session.scalars(select(RatingCounter).where(RatingCounter.office_id == office_id)):
            tally = open_tally(counter_key(keyring.keys[row.key_id]), row.sealed, office_id=office_id,
                               department_key=row.department_key, month=row.month)
            for (source, question, answer), n in tally.answers.items():
                found[(row.department_key, row.month, source, question, answer)] += n
    return found


def reset(db) -> None:
    with db.transaction() as session:
        for table in (RatingAlert, RatingCounter, Rating, Submission):
            session.execute(delete(table))


@pytest.fixture
def keyring(db, deployment):
    return head_keyring(db)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratings=st.lists(rating_strategy, min_size=1, max_size=25), batch=st.integers(min_value=1, max_value=9))
def test_counts_after_rollup_equal_what_was_submitted(db, deployment, keyring, ratings, batch):
    reset(db)
    departments = {name: department_id(db, name) for name in ("骨科", "儿科")}
    expected: Counter = Counter()
    for answers, verified, day, department in ratings:
        # Mid-month at 02:00 UTC = 10:00 China time, inside the month of `day`.
        hour = datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)
        dept = departments[department] if department else None
        store_rating(db, deployment, department=dept, answers=answers, verified=verified, hour=hour)
        for question, answer in answers.items():
            expected[(dept or 0, day[:7], "verified" if verified else "open", question, answer)] += 1

    done = rollup(db, keyring=keyring, office_id=deployment.office.id, officer_id=None, batch=batch)

    assert done.counted == len(ratings) and done.remaining == 0
    assert counted_cells(db, keyring, deployment.office.id) == expected


def test_a_month_is_counted_in_china_time(db, deployment):
    keyring = head_keyring(db)
    # 2026-01-31 20:00 UTC is 2026-02-01 04:00 in Beijing.
    store_rating(db, deployment, department=None, answers=GOOD, hour=datetime(2026, 1, 31, 20, tzinfo=UTC))
    rollup(db, keyring=keyring, office_id=deployment.office.id, officer_id=None)
    assert {cell[1] for cell in counted_cells(db, keyring, deployment.office.id)} == {"2026-02"}


class Interrupted(Exception):
    pass


def test_an_interrupted_rollup_rerun_counts_no_rating_twice(db, deployment):
    keyring = head_keyring(db)
    bone = department_id(db, "骨科")
    for i in range(30):
        store_rating(db, deployment, department=bone, answers=GOOD if i % 3 else POOR, comment="" if i else "意见")
    office = deployment.office.id
    rollup_batch(db, keyring=keyring, office_id=office, officer_id=None, limit=10)

    def crash() -> None:
        raise Interrupted()

    # The second batch is interrupted after its counters were written, before it commits.
    with pytest.raises(Interrupted):
        rollup_batch(db, keyring=keyring, office_id=office, officer_id=None, limit=10, before_commit=crash)
    with db.transaction() as session:
        assert pending(session, office_id=office) == 20

    rollup(db, keyring=keyring, office_id=office, officer_id=None, batch=7)
    rollup(db, keyring=keyring, office_id=office, officer_id=None, batch=7)  # a rerun finds nothing to do

    cells = counted_cells(db, keyring, office)
    month = next(iter(cells))[1]
    assert cells[(bone, month, "open", "overall", "5")] == 20
    assert cells[(bone, month, "open", "overall", "2")] == 10
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RatingAlert)) == 1


def test_two_rollups_at_once_count_each_rating_once(db, deployment):
    keyring = head_keyring(db)
    for _ in range(40):
        store_rating(db, deployment, department=None, answers=GOOD)
    errors = []

    def run() -> None:
        try:
            rollup(db, keyring=keyring, office_id=deployment.office.id, officer_id=None, batch=5)
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cells = counted_cells(db, keyring, deployment.office.id)
    assert sum(n for (d, m, s, q, a), n in cells.items() if q == "overall") == 40


def test_past_its_deadline_a_rollup_counts_the_batch_in_hand_and_leaves_the_rest_pending(db, deployment):
    keyring = head_keyring(db)
    for _ in range(12):
        store_rating(db, deployment, department=None, answers=GOOD)
    started = datetime.now(UTC)

    done = rollup(db, keyring=keyring, office_id=deployment.office.id, officer_id=None, batch=5,
                  deadline=started, now=lambda: started + timedelta(seconds=3))

    assert done.counted == 5 and done.remaining == 7
    assert sum(n for (d, m, s, q, a), n in counted_cells(db, keyring, deployment.office.id).items()
               if q == "overall") == 5


class AnotherRollupMeanwhile(SerialOpener):
    """Opens as usual; while the first batch is being opened, another officer's rollup counts a batch."""

    def __init__(self, db, keyring, office_id: int) -> None:  # type: ignore[no-untyped-def]
        self.db, self.keyring, self.office_id = db, keyring, office_id
        self.other: list = []

    def submit(self, keys, items):  # type: ignore[no-untyped-def]
        opening = super().submit(keys, items)
        opener = self

        class Meanwhile:
            def result(self):  # type: ignore[no-untyped-def]
                if not opener.other:
                    opener.other.append(rollup_batch(opener.db, keyring=opener.keyring, office_id=opener.office_id,
                                                     officer_id=None, limit=5))
                return opening.result()

            def cancel(self) -> None:
                opening.cancel()

        return Meanwhile()


def test_a_batch_counted_by_another_rollup_while_it_was_opened_is_not_counted_again(db, deployment):
    keyring = head_keyring(db)
    bone = department_id(db, "骨科")
    for i in range(12):
        store_rating(db, deployment, department=bone, answers=GOOD if i % 3 else POOR)
    office = deployment.office.id
    opener = AnotherRollupMeanwhile(db, keyring, office)

    done = rollup(db, keyring=keyring, office_id=office, officer_id=None, batch=5, opener=opener)

    assert opener.other[0].counted == 5 and done.counted == 7 and done.remaining == 0
    cells = counted_cells(db, keyring, office)
    month = next(iter(cells))[1]
    assert cells[(bone, month, "open", "overall", "5")] == 8
    assert cells[(bone, month, "open", "overall", "2")] == 4


def test_a_red_envelope_or_a_comment_raises_a_sealed_alert(db, deployment):
    keyring = head_keyring(db)
    store_rating(db, deployment, department=None, answers={**GOOD, "red_envelope": "yes"})
    store_rating(db, deployment, department=None, answers=GOOD, comment="护士态度很好，谢谢ALERT-CANARY")
    store_rating(db, deployment, department=None, answers=GOOD)
    progress = rollup(db, keyring=keyring, office_id=deployment.office.id, officer_id=None)
    assert progress.alerts == 2
    with db.transaction() as session:
        envelopes = session.scalars(select(RatingAlert.envelope)).all()
    assert len(envelopes) == 2
    assert all(b"ALERT-CANARY" not in e for e in envelopes)


def test_an_envelope_moved_to_another_department_is_not_counted(db, deployment):
    keyring = head_keyring(db)
    moved = store_rating(db, deployment, department=department_id(db, "骨科"), answers=POOR)
    with db.transaction() as session:
        session.get(Submission, moved).department_id = department_id(db, "儿科")
    progress = rollup(db, keyring=keyring, office_id=deployment.office.id, officer_id=None)
    assert progress.unreadable == 1 and progress.counted == 1
    assert counted_cells(db, keyring, deployment.office.id) == Counter()


def test_the_parallel_opener_opens_and_counts_what_the_serial_one_does(db, deployment):
    keyring = head_keyring(db)
    hour = datetime(2026, 1, 15, 2, tzinfo=UTC)
    for answers in (GOOD, POOR, GOOD):
        store_rating(db, deployment, department=None, answers=answers, comment="x", hour=hour)
    store_rating(db, deployment, department=None, answers={**GOOD, "red_envelope": "yes"}, hour=hour, verified=True)
    store_rating(db, deployment, department=None, answers=GOOD, hour=hour)
    with db.transaction() as session:
        items = [Sealed(*row) for row in session.execute(
            select(Submission.envelope, Submission.hospital_id, Submission.department_id, Submission.created_hour,
                   Rating.verified).join(Rating, Rating.submission_id == Submission.id))]
    items.append(items[0]._replace(department_id=department_id(db, "骨科")))  # moved: does not open
    keys = {kid: private_key_bytes(k) for kid, k in keyring.keys.items()}

    with ParallelOpener(workers=2) as opener:
        parallel = opener.submit(keys, items).result()

    assert parallel == SerialOpener().submit(keys, items).result()
    month = parallel.cells[(0, "2026-01")]
    assert month.ratings == Counter({"open": 4, "verified": 1}) and parallel.unreadable == 1
    assert month.answers[("open", "overall", "5")] == 3 and month.answers[("open", "overall", "2")] == 1
    assert sorted(items[position].verified for position, _, _ in parallel.alerts) == [False, False, False, True]
