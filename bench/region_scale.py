"""Scale figures for a region on PostgreSQL: 200 hospitals, 10,000 departments, 1,000,000 sealed submissions.

    python -m bench.region_scale postgresql+psycopg://postgres@127.0.0.1/hip_8_scale [--submissions N]

THE DATABASE IS EMPTIED. Rows are generated with COPY: every submission carries one pre-sealed dummy envelope
(the pages timed here list and count; they never open 1,000,000 envelopes). Then the authority's dashboard and
inbox, and a hospital's inbox, work list and ledger are requested in-process (TestClient) and timed: p50 / p95.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import time
from datetime import timedelta

from sqlalchemy import select, text
from starlette.testclient import TestClient

from crypto import INSECURE_FAST_FOR_TESTS, load_public_key, seal
from intake.db import Base, this_hour
from intake.models import Department, Hospital, Office, OfficeKind, SubmissionKind
from intake.sealing import encode_payload, submission_context
from portal.app import create_app
from portal.bootstrap import DEMO_DEPARTMENTS, initialise
from portal.db import Database, make_engine, migrate
from portal.keyring import create_office, current_key, recovery_keyring
from portal.models import Role
from portal.officers import create_officer, give_access
from portal.settings import DeploymentSecret, Settings
from tests.helpers import PASSWORD, OfficerActions

CATEGORIES = ("functional", "clinical", "medtech")


def build(url: str, *, hospitals: int, departments: int, submissions: int) -> tuple[Database, Settings, dict]:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    db = Database(engine)
    settings = Settings(database_url=url, secret=DeploymentSecret(secrets.token_bytes(32)),
                        argon2=INSECURE_FAST_FOR_TESTS)
    started = time.perf_counter()
    with db.transaction() as session:
        done = initialise(session, authority_name="示例市卫健委驻委纪检监察组", authority_hotline="",
                          hospital_name="医院000", hospital_code="h000", hospital_hotline="",
                          departments=DEMO_DEPARTMENTS, username="head", display_name="王主任", password=PASSWORD,
                          params=settings.argon2, secret=settings.secret)
        chief = create_officer(session, office=done.authority, username="chief", display_name="组长", role=Role.HEAD,
                               password=PASSWORD, params=settings.argon2, secret=settings.secret)
        give_access(session, officer=chief.officer, keyring=recovery_keyring(
            session, office=done.authority, code=done.authority_recovery_code), granted_by=None)
        for n in range(1, hospitals):
            hospital = Hospital(code=f"h{n:03d}", name=f"医院{n:03d}")
            session.add(hospital)
            session.flush()
            create_office(session, office=Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id,
                                                 name=f"医院{n:03d}纪检监察室"))
    per_hospital = departments // hospitals
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with db.transaction() as session:
            pairs = session.execute(select(Hospital.id, Office.id)
                                    .join(Office, Office.hospital_id == Hospital.id)).all()
            have = {h for (h,) in session.execute(select(Department.hospital_id).distinct())}
        with cursor.copy("COPY departments (hospital_id, name, category) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for hospital_id, _ in pairs:
                if hospital_id not in have:
                    for d in range(per_hospital):
                        copy.write_row((hospital_id, f"科室{d:02d}", CATEGORIES[d % 3]))
        raw.commit()
        with db.transaction() as session:
            depts: dict[int, list[int]] = {}
            for hospital_id, dept_id in session.execute(select(Department.hospital_id, Department.id)):
                depts.setdefault(hospital_id, []).append(dept_id)
            hospital_id, office_id = pairs[0]
            key = load_public_key(current_key(session, office_id).public_key)
        envelope = seal(key, encode_payload({"v": 1, "fields": {"经过": "x" * 400}, "attachments": []}),
                        associated_data=submission_context(kind=SubmissionKind.REPORT, hospital_id=hospital_id,
                                                           department_id=None))
        rng = random.Random(8)
        hour = this_hour()
        kinds = ("report",) * 6 + ("rating",) * 3 + ("handin",)
        statuses = ("received", "accepted", "investigating", "closed", "closed")
        with cursor.copy("COPY submissions (id, kind, office_id, hospital_id, department_id, envelope, "  # type: ignore[attr-defined]
                         "identity_envelope, sealed_in_browser, status, created_hour) FROM STDIN") as copy:
            for n in range(submissions):
                hospital_id, office_id = pairs[n % len(pairs)]
                copy.write_row((secrets.token_hex(16), rng.choice(kinds), office_id, hospital_id,
                                rng.choice(depts[hospital_id]), envelope, envelope if n % 20 == 0 else None, True,
                                rng.choice(statuses), hour - timedelta(hours=rng.randrange(24 * 365))))
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"built {hospitals} hospitals, {departments} departments, {submissions} submissions "
          f"in {time.perf_counter() - started:.0f} s")
    return db, settings, {"head": done.officer.totp_secret, "chief": chief.totp_secret}


def timed(client: TestClient, path: str, runs: int) -> tuple[float, float, int]:
    client.get(path)  # warm
    times = []
    status = 0
    for _ in range(runs):
        start = time.perf_counter()
        status = client.get(path).status_code
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--hospitals", type=int, default=200)
    parser.add_argument("--departments", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    db, settings, totp = build(args.url, hospitals=args.hospitals, departments=args.departments,
                               submissions=args.submissions)
    app = create_app(settings, database=db, run_migrations=False)
    results = []
    for username, pages in (("chief", ["/office/region", "/office/", "/office/work", "/office/transfers"]),
                            ("head", ["/office/", "/office/work", "/office/work?show=all", "/office/clues"])):
        client = TestClient(app, base_url="http://testserver")
        assert OfficerActions(client, db).login(username, PASSWORD, totp[username]).status_code == 303
        for path in pages:
            p50, p95, status = timed(client, path, args.runs)
            results.append((username, path, p50, p95, status))
    print(f"{'who':6} {'page':26} {'p50 ms':>8} {'p95 ms':>8} status")
    for who, path, p50, p95, status in results:
        print(f"{who:6} {path:26} {p50:8.1f} {p95:8.1f} {status}")
    _ = Base


if __name__ == "__main__":
    main()
