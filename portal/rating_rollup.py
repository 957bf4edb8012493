"""The rollup: open each rating not yet counted, once, add it to the sealed counters of its department and month,
raise an alert where it may be a clue, and mark it counted, all in one transaction per batch (an interrupted rollup
never counts a rating twice). Opening fans out over processes (`ParallelOpener`), and the next batch is opened while
the current one is written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from crypto import private_key_bytes
from intake.models import Office, Submission
from intake.rating_models import Rating
from portal import audit
from portal.db import Database
from portal.keyring import Keyring, NoAccessError, current_key
from portal.rating_alerts import NewAlert, raise_alerts
from portal.rating_models import RatingCounter
from portal.rating_opener import Cell, Keys, Opened, Opener, Opening, Sealed, SerialOpener
from portal.rating_tally import Tally, counter_key, open_tally, seal_tally

# Ratings per transaction: the counters a batch touches are opened and re-sealed once per batch, so a batch
# much smaller than this spends more on counters than on envelopes; opening happens outside the transaction.
BATCH = 5000


class MissingKeyError(Exception):
    """A rating is sealed to an office key generation this officer does not hold."""


@dataclass(frozen=True)
class Progress:
    counted: int
    alerts: int
    unreadable: int
    remaining: int


def pending(session: Session, *, office_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(Rating.office_id == office_id, Rating.counted.is_(False))) or 0
    )


def _add_to_counters(session: Session, *, office_id: int, keyring: Keyring, cells: Mapping[Cell, Tally],
                     new_key: bytes, new_key_id: bytes) -> None:
    """Open the batch's counters in one query, add the batch, re-seal them and write them back in one statement
    each for updates and inserts (a query per counter cost more than opening the envelopes)."""
    stored = session.execute(
        select(RatingCounter.id, RatingCounter.department_key, RatingCounter.month, RatingCounter.key_id,
               RatingCounter.sealed)
        .where(RatingCounter.office_id == office_id,
               RatingCounter.department_key.in_({department for department, _ in cells}),
               RatingCounter.month.in_({month for _, month in cells}))
    ).all()
    existing = {(row.department_key, row.month): row for row in stored}
    old_keys: dict[bytes, bytes] = {}
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for (department_key, month), tally in cells.items():
        row = existing.get((department_key, month))
        if row is not None:
            old_key = old_keys.get(row.key_id)
            if old_key is None:
                if row.key_id not in keyring.keys:
                    raise MissingKeyError("a counter is sealed under an office key you do not hold")
                old_key = old_keys[row.key_id] = counter_key(keyring.keys[row.key_id])
            total = open_tally(old_key, row.sealed, office_id=office_id, department_key=department_key, month=month)
            total.merge(tally)
            tally = total
        # Re-sealed under the current office key generation, so that old generations can retire.
        sealed = seal_tally(new_key, tally, office_id=office_id, department_key=department_key, month=month)
        if row is None:
            inserts.append({"office_id": office_id, "department_key": department_key, "month": month,
                            "key_id": new_key_id, "sealed": sealed})
        else:
            updates.append({"id": row.id, "key_id": new_key_id, "sealed": sealed})
    if inserts:
        session.execute(insert(RatingCounter), inserts)
    if updates:
        session.execute(update(RatingCounter), updates)


_MARK_COUNTED = (
    update(Rating)
    .where(Rating.submission_id.in_(bindparam("ids", expanding=True)), Rating.counted.is_(False))
    .values(counted=True)
    .execution_options(synchronize_session=False)
)


class CountedMeanwhileError(Exception):
    """Some ratings of a batch read in an earlier transaction were counted (or purged) since: the batch's
    transaction is rolled back."""


@dataclass(frozen=True)
class Batch:
    """Uncounted ratings read from the database and handed to the opener."""

    ids: list[str]
    places: list[tuple[int, int | None, datetime]]  # hospital, department, hour: what an alert keeps
    opening: Opening


def _take(session: Session, *, office_id: int, limit: int, keys: Keys, opener: Opener) -> Batch | None:
    """Read up to `limit` uncounted ratings and start opening them."""
    query = (
        select(Submission.envelope, Submission.hospital_id, Submission.department_id, Submission.created_hour,
               Rating.verified, Rating.submission_id)
        .join(Submission, Submission.id == Rating.submission_id)
        .where(Rating.office_id == office_id, Rating.counted.is_(False))
        .limit(limit)
    )
    rows = session.connection().execute(query).all()  # plain rows: the ORM's loading costs more than reading
    if not rows:
        return None
    items = [Sealed(*row[:5]) for row in rows]  # the columns above are in Sealed's order
    return Batch(ids=[row.submission_id for row in rows],
                 places=[(row.hospital_id, row.department_id, row.created_hour) for row in rows],
                 opening=opener.submit(keys, items))


def _mark(session: Session, batch: Batch) -> None:
    """Mark a batch counted, first thing in its transaction: if another rollup counted (or retention purged) any
    of it since it was read, nothing is written."""
    marked = session.execute(_MARK_COUNTED, {"ids": batch.ids})
    if getattr(marked, "rowcount", len(batch.ids)) != len(batch.ids):
        raise CountedMeanwhileError("ratings of this batch were counted meanwhile; it is rolled back")


def _count(session: Session, batch: Batch, opened: Opened, *, keyring: Keyring, office_id: int,
           officer_id: int | None) -> Progress:
    """Add a marked and opened batch to the counters and raise its alerts (in the caller's transaction, which holds
    the office lock)."""
    if opened.missing_key:
        raise MissingKeyError("a rating is sealed to an office key generation you do not hold")
    current = current_key(session, office_id)
    try:
        new_key = counter_key(keyring.private_key(current))
    except NoAccessError:
        raise MissingKeyError("you do not hold the office's current key") from None
    raise_alerts(session, office_key=current, alerts=[
        NewAlert(*batch.places[position], submission_id=batch.ids[position], answers=answers, comment=comment)
        for position, answers, comment in opened.alerts])
    _add_to_counters(session, office_id=office_id, keyring=keyring, cells=opened.cells, new_key=new_key,
                     new_key_id=current.key_id)
    alerts = len(opened.alerts)
    audit.record(session, office_id=office_id, officer_id=officer_id, action="rating_rollup",
                 details={"ratings": len(batch.ids), "alerts": alerts, "unreadable": opened.unreadable})
    return Progress(counted=len(batch.ids), alerts=alerts, unreadable=opened.unreadable, remaining=0)


def _lock(session: Session, office_id: int) -> None:
    # One writer at a time per office: concurrent batches would re-seal the same counters.
    session.execute(select(Office.id).where(Office.id == office_id).with_for_update())


def _raw_keys(keyring: Keyring) -> dict[bytes, bytes]:
    return {kid: private_key_bytes(key) for kid, key in keyring.keys.items()}


def rollup_batch(
    db: Database, *, keyring: Keyring, office_id: int, officer_id: int | None, limit: int = BATCH,
    opener: Opener | None = None, before_commit: Callable[[], None] | None = None,
) -> Progress:
    """Read, open and count up to `limit` ratings in one transaction under the office lock; return what is left."""
    with db.transaction() as session:
        _lock(session, office_id)
        batch = _take(session, office_id=office_id, limit=limit, keys=_raw_keys(keyring),
                      opener=opener or SerialOpener())
        if batch is None:
            return Progress(0, 0, 0, 0)
        _mark(session, batch)
        step = _count(session, batch, batch.opening.result(), keyring=keyring, office_id=office_id,
                      officer_id=officer_id)
        if before_commit is not None:
            before_commit()
        left = pending(session, office_id=office_id)
    return Progress(step.counted, step.alerts, step.unreadable, remaining=left)


class _Pipeline:
    """Batches opened outside any transaction (intake is not kept waiting on the write lock meanwhile), each
    counted in a short transaction under the office lock that also reads the next batch and hands it to the opener:
    workers open it while this one is written."""

    def __init__(self, db: Database, *, keyring: Keyring, office_id: int, officer_id: int | None, limit: int,
                 opener: Opener) -> None:
        self.db, self.keyring, self.office_id, self.officer_id = db, keyring, office_id, officer_id
        self.limit, self.opener, self.keys = limit, opener, _raw_keys(keyring)
        self.ahead: Batch | None = None

    def step(self, *, read_ahead: Callable[[], bool]) -> Progress:
        """Count one batch (counted == 0: nothing was pending). Raises CountedMeanwhileError."""
        if self.ahead is None:
            with self.db.transaction() as session:
                _lock(session, self.office_id)
                self.ahead = _take(session, office_id=self.office_id, limit=self.limit, keys=self.keys,
                                   opener=self.opener)
            if self.ahead is None:
                return Progress(0, 0, 0, 0)
        current, self.ahead = self.ahead, None
        opened = current.opening.result()
        with self.db.transaction() as session:
            _lock(session, self.office_id)
            _mark(session, current)
            if read_ahead():  # after marking, so the next batch is other ratings; opened while this one is written
                self.ahead = _take(session, office_id=self.office_id, limit=self.limit, keys=self.keys,
                                   opener=self.opener)
            step = _count(session, current, opened, keyring=self.keyring, office_id=self.office_id,
                          officer_id=self.officer_id)
            left = pending(session, office_id=self.office_id)
        return Progress(step.counted, step.alerts, step.unreadable, remaining=left)

    def close(self) -> None:
        """Drop the batch read ahead (what has not started opening is never opened)."""
        if self.ahead is not None:
            self.ahead.opening.cancel()
            self.ahead = None


def rollup(
    db: Database, *, keyring: Keyring, office_id: int, officer_id: int | None, batch: int = BATCH,
    opener: Opener | None = None, deadline: datetime | None = None, now: Callable[[], datetime] | None = None,
    on_progress: Callable[[Progress, int], None] | None = None,
) -> Progress:
    """Count batches until nothing is pending (or the deadline passes); report progress after each batch.

    Batches go through `_Pipeline`. If another rollup counted any of a batch meanwhile, that batch's transaction
    rolls back and from then on this rollup takes turns with the other under the lock (`rollup_batch`). Past the
    deadline no batch is read ahead, so none is opened and then left uncounted."""
    opener = opener or SerialOpener()

    def past_deadline() -> bool:
        return deadline is not None and now is not None and now() >= deadline

    pipeline = _Pipeline(db, keyring=keyring, office_id=office_id, officer_id=officer_id, limit=batch,
                         opener=opener)
    counted = alerts = unreadable = 0
    taking_turns = False
    try:
        while True:
            if taking_turns:
                step = rollup_batch(db, keyring=keyring, office_id=office_id, officer_id=officer_id, limit=batch,
                                    opener=opener)
            else:
                try:
                    step = pipeline.step(read_ahead=lambda: not past_deadline())
                except CountedMeanwhileError:
                    pipeline.close()
                    taking_turns = True
                    continue
            if step.counted == 0:
                return Progress(counted, alerts, unreadable, step.remaining)
            counted += step.counted
            alerts += step.alerts
            unreadable += step.unreadable
            total = Progress(counted, alerts, unreadable, step.remaining)
            if on_progress is not None:
                on_progress(total, counted + step.remaining)
            if step.remaining == 0 or (pipeline.ahead is None and past_deadline()):
                return total
    finally:
        pipeline.close()
