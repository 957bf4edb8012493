"""An office with many clues: inbox, unified inbox and clue ledger pages, the ledger export, and the follow-up login.

    python -m bench.office_scale                      # 2,000 clues on SQLite, a quick check
    python -m bench.office_scale --full               # 100,000 clues (the goals' size)
    python -m bench.office_scale --clues 20000 --database-url postgresql://postgres@127.0.0.1/hip_office_bench

A PostgreSQL database given is EMPTIED first. One hospital office gets N reports and N clues (80% of the clues came
from a report, the rest by letter, visit or phone), seeded with Core inserts. Every clue's texts are real envelopes
sealed to the office key with the clue's associated data (the ledger opens them); the reports share one dummy
envelope (the pages timed here never open a report). Pages are requested in process (TestClient) by the logged-in
head: p50 / p95 after one warm-up. The export is downloaded and read back with openpyxl. The follow-up login is timed
with the real Argon2id parameters (OWASP minimum), a right and a wrong code interleaved.
"""

from __future__ import annotations

import argparse
import io
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, insert, select, text
from starlette.testclient import TestClient

from bench.region_scale import timed
from crypto import OWASP_MINIMUM, load_public_key, seal
from intake.db import new_id, this_hour
from intake.followup import FollowLimits
from intake.models import Department, Submission, SubmissionKind
from intake.receipts import prepare_receipt, receipt_pepper, store_receipt
from intake.sealing import encode_payload, identity_context, submission_context
from portal.app import create_app
from portal.bootstrap import DEMO_DEPARTMENTS, Initialised, initialise
from portal.clue_models import (
    Channel,
    Clue,
    ClueReport,
    ClueSource,
    ClueStatus,
    Disposition,
    NoticeKind,
    PersonRank,
    ReportCategory,
    ReporterNotice,
)
from portal.clues import field_context
from portal.db import Database, make_engine, migrate
from portal.keyring import current_key
from portal.settings import DeploymentSecret, Settings
from tests.helpers import PASSWORD, OfficerActions, csrf_of

CHUNK = 5000
PAGES = ("/office/", "/office/work", "/office/work?show=all", "/office/work?due=overdue", "/office/clues",
         "/office/clues?status=closed")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
POSITIONS = ("主治医师", "副主任医师", "护士长", "药剂科主任", "住院医师", "设备科科长")
SUMMARIES = ("患者家属反映收受红包两千元", "反映开单提成、诱导检查", "反映号源被倒卖",
             "反映与医药代表不当接触，收受宴请",
             "反映对患者乱收费", "反映索要财物、吃拿卡要")


def _texts(rng: random.Random, status: ClueStatus) -> dict[str, str]:
    texts = {"person": rng.choice(SURNAMES) + "某某", "position": rng.choice(POSITIONS),
             "summary": rng.choice(SUMMARIES) + "，" + "具体经过见举报材料。" * rng.randrange(1, 4)}
    if status is ClueStatus.CLOSED:
        texts["result"] = "经初步核实，问题部分属实，已对当事人谈话提醒并责令退还。"
    return texts


def seal_texts(public_key: bytes, office_id: int, clues: list[tuple[int, dict[str, str]]]) -> list[dict[str, bytes]]:
    """Seal each clue's texts as the ledger does (runs in a worker process)."""
    key = load_public_key(public_key)
    return [{f"{name}_sealed": seal(key, value.encode("utf-8"), associated_data=field_context(
        office_id=office_id, clue_id=clue_id, field=name)) for name, value in texts.items()}
        for clue_id, texts in clues]


def setup(url: str) -> tuple[Settings, Database, Initialised]:
    engine = make_engine(url, sqlite_synchronous="NORMAL")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    settings = Settings(database_url=url, secret=DeploymentSecret(secrets.token_bytes(32)), argon2=OWASP_MINIMUM,
                        sqlite_synchronous="NORMAL")
    database = Database(engine)
    with database.transaction() as session:
        done = initialise(session, authority_name="示例市卫健委驻委纪检监察组", authority_hotline="",
                          hospital_name="示例市第一人民医院", hospital_code="bench", hospital_hotline="",
                          departments=DEMO_DEPARTMENTS, username="head", display_name="王主任", password=PASSWORD,
                          params=settings.argon2, secret=settings.secret)
    return settings, database, done


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, CHUNK):
        yield range(start, min(count, start + CHUNK))


def seed(database: Database, done: Initialised, clues: int) -> None:
    """N reports (5% real-name) and N clues, 80% of them joined to a report; sealed texts, bulk inserts."""
    rng = random.Random(7)
    office_id, hospital_id = done.office.id, done.hospital.id
    with database.transaction() as session:
        public = current_key(session, office_id).public_key
        departments = list(session.scalars(select(Department.id).where(Department.hospital_id == hospital_id)))
    key = load_public_key(public)
    where = {"kind": SubmissionKind.REPORT, "hospital_id": hospital_id, "department_id": None}
    envelope = seal(key, encode_payload({"v": 1, "fields": {"经过": "x" * 400}, "attachments": []}),
                    associated_data=submission_context(**where))
    identity = seal(key, encode_payload({"姓名": "实名举报人"}), associated_data=identity_context(**where))
    hour = this_hour()
    today = date.today()
    numbers: dict[int, int] = {}
    statuses = (ClueStatus.PENDING,) * 2 + (ClueStatus.HANDLING,) * 3 + (ClueStatus.CLOSED,) * 5
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        for part in _chunks(clues):
            reports, plain, texts = [], [], []
            for n in part:
                clue_id = n + 1
                status = rng.choice(statuses)
                received = hour - timedelta(hours=rng.randrange(24 * 730))
                received_on = received.date()
                numbers[received_on.year] = numbers.get(received_on.year, 0) + 1
                dept = rng.choice(departments)
                from_report = rng.random() < 0.8
                closed = status is ClueStatus.CLOSED
                row = {
                    "id": clue_id, "office_id": office_id,
                    "number": f"{received_on.year}-{numbers[received_on.year]:05d}",
                    "source": ClueSource.PETITION if from_report else rng.choice(list(ClueSource)),
                    "channel": Channel.ONLINE if from_report else rng.choice([Channel.LETTER, Channel.VISIT, None]),
                    "category": rng.choice(list(ReportCategory)), "department_id": dept,
                    "person_rank": rng.choice(list(PersonRank)), "received_on": received_on, "status": status,
                    "disposition": None if status is ClueStatus.PENDING else rng.choice(
                        [Disposition.TALK_AND_INQUIRY, Disposition.PRELIMINARY_VERIFICATION, Disposition.CONCLUDE]),
                    "outcome_form": rng.choice([None, 1, 2]) if closed else None,
                    "closed_on": min(today, received_on + timedelta(days=rng.randrange(5, 90))) if closed else None,
                    "version": 1,
                }
                plain.append(row)
                texts.append((clue_id, _texts(rng, status)))
                if from_report or rng.random() < 0.5:
                    report_status = {ClueStatus.PENDING: "accepted", ClueStatus.HANDLING: "investigating",
                                     ClueStatus.CLOSED: "closed"}[status] if from_report else "received"
                    reports.append({"id": new_id(), "kind": SubmissionKind.REPORT, "office_id": office_id,
                                    "hospital_id": hospital_id, "department_id": dept, "envelope": envelope,
                                    "identity_envelope": identity if rng.random() < 0.05 else None,
                                    "sealed_in_browser": True, "status": report_status, "created_hour": received,
                                    "clue_id": clue_id if from_report else None})
            half = len(texts) // 2 or 1
            sealed = [s for chunk in pool.map(seal_texts, [public] * 2, [office_id] * 2, [texts[:half], texts[half:]])
                      for s in chunk]
            for row, envelopes in zip(plain, sealed, strict=True):
                row.update({"person_sealed": None, "position_sealed": None, "summary_sealed": None,
                            "result_sealed": None, **envelopes})
            with database.transaction() as session:
                session.execute(insert(Clue), plain)
                session.execute(insert(Submission), [{k: v for k, v in r.items() if k != "clue_id"} for r in reports])
                session.execute(insert(ClueReport), [{"submission_id": r["id"], "clue_id": r["clue_id"]}
                                                     for r in reports if r["clue_id"]])
                notices = [{"submission_id": r["id"], "kind": NoticeKind.ACCEPTANCE, "at": r["created_hour"]}
                           for r in reports if r["identity_envelope"] is not None and rng.random() < 0.9]
                if notices:
                    session.execute(insert(ReporterNotice), notices)
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('clues', 'id'), "
                                    "(SELECT max(id) FROM clues))"))
            connection.execute(text("ANALYZE"))  # autovacuum would; the portal never runs ANALYZE on SQLite
    with database.transaction() as session:
        reports = session.scalar(select(func.count()).select_from(Submission))
    print(f"seeded {clues:,} clues and {reports:,} reports in {time.perf_counter() - started:.0f} s")


def time_export(client: TestClient, clues: int) -> None:
    started = time.perf_counter()
    response = client.get("/office/exports/ledger.xlsx")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book.active
    assert sheet is not None
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r and str(r[0] or "").isdigit()]
    opened = sum(1 for r in rows if (r[3] and str(r[3]).startswith("反映")) or "红包" in str(r[3] or ""))
    print(f"ledger export: {elapsed:.1f} s for {len(rows):,} rows ({len(response.content) / 1e6:.1f} MB; "
          f"{opened:,} summaries read back decrypted; expected {clues:,} rows)")
    assert len(rows) == clues and opened == clues


def time_follow_up(app, database: Database, done: Initialised, settings: Settings, tries: int) -> None:  # type: ignore[no-untyped-def]
    """Right and wrong receipt codes, interleaved, with the real Argon2id cost; p50 of each."""
    prepared = prepare_receipt(pepper=receipt_pepper(bytes(settings.secret.reveal())), params=settings.argon2)
    with database.transaction() as session:
        submission = session.scalar(select(Submission.id).where(Submission.office_id == done.office.id).limit(1))
        assert submission is not None
        store_receipt(session, prepared, submission_id=submission)
    right = prepared.code
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    app.starlette.state.follow_limits = FollowLimits(per_client=10**6, overall=10**6)
    samples: dict[str, list[float]] = {"right": [], "wrong": []}
    with TestClient(app) as client:
        token = csrf_of(client.get("/follow").text)
        for n in range(tries + 3):
            for name, code in (("right", right), ("wrong", wrong)):
                started = time.perf_counter()
                response = client.post("/follow", data={"csrf_token": token, "code": code}, follow_redirects=False)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == (303 if name == "right" else 400)
                if n >= 3:
                    samples[name].append(elapsed)
    p50 = {name: statistics.median(values) for name, values in samples.items()}
    print(f"follow-up login ({tries} each, Argon2id t=2 m=19 MiB): right code p50 {p50['right']:.1f} ms, "
          f"wrong code p50 {p50['wrong']:.1f} ms, difference {p50['wrong'] - p50['right']:+.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clues", type=int, default=2000)
    parser.add_argument("--full", action="store_true", help="100,000 clues")
    parser.add_argument("--database-url", default="", help="a scratch PostgreSQL database: IT IS EMPTIED")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tries", type=int, default=50, help="follow-up logins of each kind")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    clues = 100_000 if args.full else args.clues
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'office.db'}"
        settings, database, done = setup(url)
        seed(database, done, clues)
        app = create_app(settings, database=database, run_migrations=False)
        with TestClient(app, base_url="http://testserver") as client:
            assert OfficerActions(client, database).login("head", PASSWORD, done.officer.totp_secret).status_code == 303
            print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} status   ({database.engine.dialect.name}, {clues:,} clues)")
            for path in PAGES:
                p50, p95, status = timed(client, path, args.runs)
                print(f"{path:28} {p50:8.1f} {p95:8.1f} {status}")
            if not args.no_export:
                time_export(client, clues)
        database.engine.dispose()
        # The follow-up login writes (wrong codes are counted): time it with the deployment's default fsync policy.
        deployed = Database(make_engine(url))
        time_follow_up(create_app(settings, database=deployed, run_migrations=False), deployed, done, settings,
                       args.tries)
        deployed.engine.dispose()


if __name__ == "__main__":
    main()
