"""The rollup: open each rating not yet counted, once, add it to the sealed counters of its department and month,
raise an alert where it may be a clue, and mark it counted, all in one transaction per batch (an interrupted rollup
never counts a rating twice). Opening can fan out over processes (`ParallelOpener`)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crypto import CryptoError, envelope_key_id, load_private_key, open_envelope, private_key_bytes
from intake.models import Office, Submission, SubmissionKind
from intake.questionnaire import raises_alert, read_payload
from intake.rating_models import Rating
from intake.sealing import submission_context
from portal import audit
from portal.db import Database
from portal.keyring import Keyring, NoAccessError, current_key
from portal.rating_alerts import raise_alert
from portal.rating_models import RatingCounter
from portal.rating_tally import NO_DEPARTMENT, Tally, counter_key, month_of, open_tally, seal_tally, source_of

BATCH = 1000

# What a worker returns for one envelope: ("ok", answers, comment), ("unreadable",) or ("nokey",).
Opened = tuple[Any, ...]
Item = tuple[bytes, bytes]  # (envelope, associated data)
Opener = Callable[[Mapping[bytes, bytes], Sequence[Item]], list[Opened]]


class MissingKeyError(Exception):
    """A rating is sealed to an office key generation this officer does not hold."""


def open_items(keys: Mapping[bytes, bytes], items: Sequence[Item]) -> list[Opened]:
    """Open envelopes with raw office keys (runs in a worker process, so it takes and returns plain values)."""
    loaded = {kid: load_private_key(raw) for kid, raw in keys.items()}
    out: list[Opened] = []
    for envelope, associated_data in items:
        try:
            key = loaded.get(envelope_key_id(envelope))
            if key is None:
                out.append(("nokey",))
                continue
            payload = json.loads(open_envelope(key, envelope, associated_data=associated_data).decode("utf-8"))
        except (CryptoError, ValueError):
            out.append(("unreadable",))
            continue
        answers, comment = read_payload(payload) if isinstance(payload, dict) else ({}, "")
        out.append(("ok", answers, comment))
    return out


class ParallelOpener:
    """Open a batch across worker processes (opening is CPU-bound ECDH; threads would share one core)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.pool: Executor = ProcessPoolExecutor(max_workers=self.workers)

    def __call__(self, keys: Mapping[bytes, bytes], items: Sequence[Item]) -> list[Opened]:
        size = -(-len(items) // self.workers) or 1
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        results: list[Opened] = []
        for part in self.pool.map(open_items, [keys] * len(chunks), chunks):
            results.extend(part)
        return results

    def close(self) -> None:
        self.pool.shutdown()

    def __enter__(self) -> ParallelOpener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def _add_to_counters(session: Session, *, office_id: int, keyring: Keyring, cells: dict[tuple[int, str], Tally],
                     new_key: bytes, new_key_id: bytes) -> None:
    for (department_key, month), tally in cells.items():
        row = session.scalar(select(RatingCounter).where(
            RatingCounter.office_id == office_id, RatingCounter.department_key == department_key,
            RatingCounter.month == month))
        if row is None:
            row = RatingCounter(office_id=office_id, department_key=department_key, month=month)
            session.add(row)
        else:
            old_key = counter_key(keyring.keys[row.key_id]) if row.key_id in keyring.keys else None
            if old_key is None:
                raise MissingKeyError("a counter is sealed under an office key you do not hold")
            total = open_tally(old_key, row.sealed, office_id=office_id, department_key=department_key, month=month)
            total.merge(tally)
            tally = total
        # Re-sealed under the current office key generation, so that old generations can retire.
        row.key_id = new_key_id
        row.sealed = seal_tally(new_key, tally, office_id=office_id, department_key=department_key, month=month)


def rollup_batch(
    db: Database, *, keyring: Keyring, office_id: int, officer_id: int | None, limit: int = BATCH,
    opener: Opener = open_items, before_commit: Callable[[], None] | None = None,
) -> Progress:
    """Count up to `limit` ratings in one transaction and return what is left."""
    with db.transaction() as session:
        # One rollup at a time per office: concurrent batches would read and re-seal the same counters.
        session.execute(select(Office.id).where(Office.id == office_id).with_for_update())
        rows = session.execute(
            select(Rating.submission_id, Rating.verified, Submission.envelope, Submission.hospital_id,
                   Submission.department_id, Submission.created_hour)
            .join(Submission, Submission.id == Rating.submission_id)
            .where(Rating.office_id == office_id, Rating.counted.is_(False))
            .limit(limit)
        ).all()
        if not rows:
            return Progress(0, 0, 0, 0)
        raw_keys = {kid: private_key_bytes(key) for kid, key in keyring.keys.items()}
        items = [(r.envelope, submission_context(kind=SubmissionKind.RATING, hospital_id=r.hospital_id,
                                                 department_id=r.department_id)) for r in rows]
        results = opener(raw_keys, items)
        current = current_key(session, office_id)
        try:
            new_key = counter_key(keyring.private_key(current))
        except NoAccessError:
            raise MissingKeyError("you do not hold the office's current key") from None
        cells: dict[tuple[int, str], Tally] = defaultdict(Tally)
        alerts = unreadable = 0
        for row, result in zip(rows, results, strict=True):
            if result[0] == "nokey":
                raise MissingKeyError("a rating is sealed to an office key generation you do not hold")
            if result[0] == "unreadable":
                unreadable += 1  # moved or tampered: counted as seen, never as answers
                continue
            _, answers, comment = result
            cell = (row.department_id or NO_DEPARTMENT, month_of(row.created_hour))
            cells[cell].add(source_of(row.verified), answers)
            if raises_alert(answers, comment):
                raise_alert(session, office_key=current, hospital_id=row.hospital_id,
                            department_id=row.department_id, created_hour=row.created_hour,
                            submission_id=row.submission_id, answers=answers, comment=comment)
                alerts += 1
        _add_to_counters(session, office_id=office_id, keyring=keyring, cells=cells, new_key=new_key,
                         new_key_id=current.key_id)
        ids = [r.submission_id for r in rows]
        marked = session.execute(
            update(Rating).where(Rating.submission_id.in_(ids), Rating.counted.is_(False)).values(counted=True)
        )
        if getattr(marked, "rowcount", len(ids)) != len(ids):
            raise RuntimeError("ratings were counted by another rollup meanwhile; this batch is rolled back")
        audit.record(session, office_id=office_id, officer_id=officer_id, action="rating_rollup",
                     details={"ratings": len(ids), "alerts": alerts, "unreadable": unreadable})
        if before_commit is not None:
            before_commit()
        left = pending(session, office_id=office_id)
    return Progress(counted=len(ids), alerts=alerts, unreadable=unreadable, remaining=left)


def rollup(
    db: Database, *, keyring: Keyring, office_id: int, officer_id: int | None, batch: int = BATCH,
    opener: Opener = open_items, deadline: datetime | None = None, now: Callable[[], datetime] | None = None,
    on_progress: Callable[[Progress, int], None] | None = None,
) -> Progress:
    """Count batches until nothing is pending (or the deadline passes); report progress after each batch."""
    counted = alerts = unreadable = 0
    while True:
        step = rollup_batch(db, keyring=keyring, office_id=office_id, officer_id=officer_id, limit=batch,
                            opener=opener)
        counted += step.counted
        alerts += step.alerts
        unreadable += step.unreadable
        total = Progress(counted, alerts, unreadable, step.remaining)
        if on_progress is not None and step.counted:
            on_progress(total, counted + step.remaining)
        if step.remaining == 0 or step.counted == 0:
            return total
        if deadline is not None and now is not None and now() >= deadline:
            return total
