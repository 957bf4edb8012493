"""In-process figures: the cost of the steps the intake goals hinge on, and the storage traps."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from crypto import OWASP_MINIMUM, derive_key, generate_private_key, open_envelope, public_key_bytes, seal
from intake.db import this_hour
from intake.models import Hospital, Office, OfficeKind, Submission, SubmissionKind
from intake.receipts import prepare_receipt
from portal.db import Database, make_engine, migrate


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    note: str = ""


def _median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def argon2_ms(calls: int) -> float:
    durations = []
    for number in range(calls):
        started = time.perf_counter()
        derive_key(b"receipt %d" % number, salt=b"0123456789abcdef", params=OWASP_MINIMUM)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


def receipts_per_second(seconds: float, threads: int = 2) -> float:
    """prepare_receipt (one Argon2id each, OWASP parameters) in a pool of `threads`, as the intake will run it."""
    pepper = b"p" * 32
    deadline = time.monotonic() + seconds

    def work() -> int:
        done = 0
        while time.monotonic() < deadline:
            prepare_receipt(pepper=pepper, params=OWASP_MINIMUM)
            done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(lambda _: work(), range(threads)))
    return total / (time.monotonic() - started)


def seal_open_us(count: int) -> tuple[float, float]:
    private = generate_private_key()
    public = private.public_key()
    payload = b'{"v":1,"fields":{"q1":"5","comment":"' + "很好".encode() * 200 + b'"}}'
    started = time.perf_counter()
    envelopes = [seal(public, payload, associated_data=b"bench") for _ in range(count)]
    sealed = (time.perf_counter() - started) / count
    started = time.perf_counter()
    for envelope in envelopes:
        open_envelope(private, envelope, associated_data=b"bench")
    return sealed * 1e6, (time.perf_counter() - started) / count * 1e6


def orm_inserts_per_second(directory: Path, *, synchronous: str, expire_on_commit: bool, count: int) -> float:
    """One Submission per transaction through the foundation's Database, the way an intake route writes."""
    path = directory / f"orm-{synchronous}-{expire_on_commit}.db"
    path.unlink(missing_ok=True)
    database = Database(make_engine(f"sqlite:///{path}", sqlite_synchronous=synchronous))
    try:
        migrate(database.engine)
        if expire_on_commit:
            database.sessions = sessionmaker(database.engine, expire_on_commit=True)
        with database.transaction() as session:
            hospital = Hospital(code="b", name="b")
            session.add(hospital)
            session.flush()
            office = Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id, name="o",
                            recovery_public_key=public_key_bytes(generate_private_key().public_key()))
            session.add(office)
            session.flush()
            ids = (hospital.id, office.id)
        envelope = b"\x01" * 400
        started = time.perf_counter()
        for _ in range(count):
            with database.sessions() as session:
                with session.begin():
                    row = Submission(kind=SubmissionKind.RATING, office_id=ids[1], hospital_id=ids[0],
                                     envelope=envelope, created_hour=this_hour())
                    session.add(row)
                _ = row.id  # a route reads the id after commit (to redirect or show a receipt)
        return count / (time.perf_counter() - started)
    finally:
        database.engine.dispose()


def poster_lookup_us(directory: Path, count: int) -> tuple[float, float]:
    """Resolving a poster code (every scan and every rating does it): through an ORM session, and as the intake
    does it now, one prepared read on a pooled driver connection (intake/prepared.py)."""
    from bench.deployment import create
    from intake.chooser import _PLACE_AT_ONCE, find_place
    from intake.models import OfficeKind

    home = directory / "poster-lookup"
    deployment = create("poster lookup", home, f"sqlite:///{home / 'portal.db'}", seed=0)
    database = Database(make_engine(deployment.database_url))
    try:
        def session_read() -> None:
            with database.read() as session:
                find_place(session, deployment.patient_code)

        def prepared_read() -> None:
            _PLACE_AT_ONCE.first(database.engine, {"code": deployment.patient_code,
                                                   "authority": OfficeKind.AUTHORITY.value})

        timings = []
        for read in (session_read, prepared_read):
            read()
            started = time.perf_counter()
            for _ in range(count):
                read()
            timings.append((time.perf_counter() - started) / count * 1e6)
        return timings[0], timings[1]
    finally:
        database.engine.dispose()


def measure(directory: Path, *, smoke: bool, log: Callable[[str], None]) -> list[Figure]:
    runs = 1 if smoke else 3
    figures: list[Figure] = []
    log("argon2id duration")
    figures.append(Figure("Argon2id at the OWASP minimum (m=19 MiB, t=2, p=1)", argon2_ms(3 if smoke else 20),
                          "ms per call", "median"))
    log("receipt issuance")
    figures.append(Figure("receipt issuance (prepare_receipt), thread pool of 2",
                          _median_of(runs, lambda: receipts_per_second(0.5 if smoke else 5)), "receipts/s",
                          f"median of {runs} runs"))
    figures.append(Figure("receipt issuance (prepare_receipt), 32 threads at once (unbounded pool, concurrency 32)",
                          _median_of(runs, lambda: receipts_per_second(0.5 if smoke else 5, threads=32)),
                          "receipts/s", f"median of {runs} runs; the intake bounds Argon2id to one thread per core"))
    figures.append(Figure("receipt issuance (prepare_receipt), 1 thread",
                          _median_of(runs, lambda: receipts_per_second(0.5 if smoke else 5, threads=1)),
                          "receipts/s", f"median of {runs} runs"))
    sealed, opened = seal_open_us(50 if smoke else 2000)
    figures.append(Figure("seal a 1.3 KB payload (P-256 envelope)", sealed, "µs"))
    figures.append(Figure("open it", opened, "µs"))
    log("poster lookup")
    through_session, prepared = poster_lookup_us(directory, 200 if smoke else 5000)
    figures.append(Figure("poster lookup through an ORM session (before)", through_session, "µs"))
    figures.append(Figure("poster lookup as a prepared read (the intake's path)", prepared, "µs"))
    log("ORM inserts: fsync policy and reload after commit")
    count = 100 if smoke else 1000
    for synchronous in ("FULL", "NORMAL"):
        for expire in (False, True):
            rate = _median_of(runs, lambda s=synchronous, e=expire: orm_inserts_per_second(
                directory, synchronous=s, expire_on_commit=e, count=count))
            label = "expire_on_commit=True (reload)" if expire else "expire_on_commit=False (foundation)"
            figures.append(Figure(f"ORM insert+commit, SQLite synchronous={synchronous}, {label}", rate,
                                  "transactions/s", f"{count} single-row transactions, median of {runs}"))
    return figures
