"""Benchmarks of the ratings area (not a test): intake sealing, the rollup, the dashboard.

    python -m bench.ratings_bench            # small defaults, a few seconds
    python -m bench.ratings_bench --full     # 100,000 ratings rolled up, dashboard over 1,000,000
    python -m bench.ratings_bench --database-url postgresql://...   # an EMPTY scratch database
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import insert, select, text
from starlette.testclient import TestClient

from crypto import INSECURE_FAST_FOR_TESTS, load_public_key, seal
from intake.db import Base, new_id
from intake.models import Department, Submission, SubmissionKind
from intake.questionnaire import QUESTIONS, FilledRating
from intake.rating_models import Rating
from intake.ratings import RatingInput, submit_rating
from intake.sealing import encode_payload, submission_context
from portal.app import create_app
from portal.auth import COOKIE, login
from portal.bootstrap import DEMO_DEPARTMENTS, initialise
from portal.db import Database, make_engine, migrate
from portal.keyring import current_key, officer_keyring
from portal.models import Officer
from portal.rating_models import RatingCounter
from portal.rating_opener import ParallelOpener, SerialOpener
from portal.rating_rollup import BATCH, rollup
from portal.rating_tally import Tally, counter_key, seal_tally
from portal.settings import DeploymentSecret, Settings

PASSWORD = "bench password for ratings"


def random_answers(rng: random.Random) -> dict[str, str]:
    """Mostly positive answers, as real wards see; about 1 in 100 says a red envelope was asked for."""
    answers = {}
    for q in QUESTIONS:
        good = sorted(q.positive)
        weight = 0.99 if q.key == "red_envelope" else 0.85
        answers[q.key] = rng.choice(good) if rng.random() < weight else rng.choice([v for v, _ in q.answers])
    return answers


def setup(url: str) -> tuple[Settings, Database, object]:
    settings = Settings(database_url=url, secret=DeploymentSecret(secrets.token_bytes(32)),
                        argon2=INSECURE_FAST_FOR_TESTS, sqlite_synchronous="NORMAL")
    database = Database(make_engine(url, sqlite_synchronous="NORMAL"))
    migrate(database.engine)
    with database.transaction() as session:
        done = initialise(session, authority_name="基准上级", authority_hotline="", hospital_name="基准医院",
                          hospital_code="bench", hospital_hotline="", departments=DEMO_DEPARTMENTS,
                          username="bench", display_name="基准", password=PASSWORD, params=settings.argon2,
                          secret=settings.secret)
    return settings, database, done


def bench_intake(database: Database, done, count: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    with database.transaction() as session:
        key = current_key(session, done.office.id)
    ad = submission_context(kind=SubmissionKind.RATING, hospital_id=done.hospital.id, department_id=None)
    payloads = [encode_payload(FilledRating(random_answers(rng), "").payload()) for _ in range(count)]
    public = load_public_key(key.public_key)
    start = time.perf_counter()
    for payload in payloads:
        seal(public, payload, associated_data=ad)
    seal_only = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(count):  # the whole service: throttle count, seal on arrival, insert, commit
        with database.transaction() as session:
            submit_rating(session, RatingInput(done.hospital.id, None, FilledRating(random_answers(rng), ""), None,
                                               None), client=secrets.token_bytes(32), pepper=b"p" * 32,
                          now=datetime.now(UTC))
    service = count / (time.perf_counter() - start)
    print(f"intake: seal only {seal_only:,.0f} ratings/s (1 core); seal + store + commit {service:,.0f} ratings/s")


def generate_ratings(database: Database, done, count: int) -> None:  # type: ignore[no-untyped-def]
    """Sealed ratings inserted in bulk (as if submitted over the last 12 months), not yet counted."""
    rng = random.Random(2)
    with database.transaction() as session:
        key = current_key(session, done.office.id)
        departments = [d.id for d in session.scalars(select(Department))]
    public = load_public_key(key.public_key)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    chunk = 5000
    for start in range(0, count, chunk):
        submissions, ratings = [], []
        for _ in range(min(chunk, count - start)):
            dept = rng.choice(departments)
            sid = new_id()
            comment = "希望改进" if rng.random() < 0.02 else ""
            payload = encode_payload(FilledRating(random_answers(rng), comment).payload())
            envelope = seal(public, payload, associated_data=submission_context(
                kind=SubmissionKind.RATING, hospital_id=done.hospital.id, department_id=dept))
            submissions.append({"id": sid, "kind": SubmissionKind.RATING, "office_id": done.office.id,
                                "hospital_id": done.hospital.id, "department_id": dept, "envelope": envelope,
                                "identity_envelope": None, "sealed_in_browser": False, "status": "received",
                                "created_hour": now - timedelta(hours=rng.randrange(24 * 365))})
            ratings.append({"submission_id": sid, "office_id": done.office.id, "verified": rng.random() < 0.3,
                            "counted": False})
        with database.transaction() as session:
            session.execute(insert(Submission), submissions)
            session.execute(insert(Rating), ratings)


def head_keyring(database: Database, done):  # type: ignore[no-untyped-def]
    from crypto import load_private_key, unwrap_with_password

    with database.transaction() as session:
        officer = session.scalar(select(Officer).where(Officer.username == "bench"))
        private = load_private_key(unwrap_with_password(officer.wrapped_private_key, PASSWORD))
        return officer_keyring(session, officer=officer, officer_private=private)


def bench_rollup(database: Database, done, count: int, workers: int) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with database.transaction() as session:  # only the generated ratings are timed
        session.execute(text("DELETE FROM ratings"))
    generate_ratings(database, done, count)
    print(f"rollup: generated {count:,} sealed ratings in {time.perf_counter() - started:.1f} s")
    keyring = head_keyring(database, done)
    for label, n in (("serial", 1), ("processes", workers)):
        if n == 1:
            opener: SerialOpener | ParallelOpener = SerialOpener()
            closer = None
        else:
            opener = ParallelOpener(workers=n)
            closer = opener.close
        with database.transaction() as session:
            session.execute(text("UPDATE ratings SET counted = false"))
            session.execute(text("DELETE FROM rating_counters"))
            session.execute(text("DELETE FROM rating_alerts"))
        start = time.perf_counter()
        done_ = rollup(database, keyring=keyring, office_id=done.office.id, officer_id=None, batch=BATCH,
                       opener=opener)  # the batch `portal rollup` uses
        seconds = time.perf_counter() - start
        if closer:
            closer()
        assert done_.counted == count
        print(f"rollup ({label}, {n} core(s)): {count:,} ratings in {seconds:.2f} s = {count / seconds:,.0f}/s, "
              f"{count / seconds / n:,.0f}/s/core; {done_.alerts} alerts")


def bench_dashboard(settings: Settings, database: Database, done, total: int, rounds: int) -> None:  # type: ignore[no-untyped-def]
    """Counters made directly for `total` ratings over 24 months of every department, then the page timed."""
    rng = random.Random(3)
    with database.transaction() as session:
        session.execute(text("DELETE FROM rating_counters"))
        departments = [d.id for d in session.scalars(select(Department))]
        key = current_key(session, done.office.id)
    keyring = head_keyring(database, done)
    sealing_key = counter_key(keyring.keys[key.key_id])
    month = datetime.now(UTC)
    months = []
    for _ in range(24):
        months.append(month.strftime("%Y-%m"))
        month = month.replace(day=1) - timedelta(days=1)
    cells = [(d, m) for d in departments for m in months]
    per_cell = total // len(cells)
    rows = []
    for dept, month_label in cells:
        tally = Tally()
        for source in ("verified", "open"):
            n = per_cell // 2
            tally.ratings[source] = n
            for q in QUESTIONS:
                split = Counter(rng.choices([v for v, _ in q.answers], k=50))
                for value, k in split.items():
                    tally.answers[(source, q.key, value)] = n * k // 50
        rows.append({"office_id": done.office.id, "department_key": dept, "month": month_label,
                     "key_id": key.key_id, "updated_at": datetime.now(UTC),
                     "sealed": seal_tally(sealing_key, tally, office_id=done.office.id, department_key=dept,
                                          month=month_label)})
    with database.transaction() as session:
        session.execute(insert(RatingCounter), rows)
    app = create_app(settings, database=database, run_migrations=False)
    with database.transaction() as session:
        session.execute(text("UPDATE officers SET last_totp_step = 0"))
        officer = session.scalar(select(Officer).where(Officer.username == "bench"))
        from portal.officers import open_totp_secret

        code = pyotp.TOTP(open_totp_secret(officer, secret=settings.secret)).now()
        attempt = login(session, settings, username="bench", password=PASSWORD, totp_code=code,
                        now=datetime.now(UTC))
    with TestClient(app) as client:
        client.cookies.set(COOKIE, attempt.cookie, path="/office")
        for path in ("/office/ratings", f"/office/ratings?dept={departments[0]}&span=24",
                     "/office/ratings/export.xlsx?span=24"):
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            print(f"dashboard {path} over {per_cell * len(cells):,} ratings in {len(cells)} sealed counters: "
                  f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the sizes of the issue (100,000 / 1,000,000)")
    parser.add_argument("--database-url", default="", help="an empty scratch database (default: a temp SQLite)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    intake_n, rollup_n, dashboard_n = (2000, 100_000, 1_000_000) if args.full else (300, 5_000, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        settings, database, done = setup(url)
        print(f"database: {database.engine.dialect.name}; cores: {os.cpu_count()}")
        bench_intake(database, done, intake_n)
        bench_rollup(database, done, rollup_n, args.workers)
        bench_dashboard(settings, database, done, dashboard_n, rounds=5)
        if not database.is_sqlite:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            with database.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        database.engine.dispose()


if __name__ == "__main__":
    main()
