"""Batches of one-time rating codes: issued by an officer, printed on slips, the codes sealed to the office so
that the sheet and the CSV can be printed again; only keyed hashes of unused codes are kept in the clear."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto import context, load_public_key, seal
from intake.db import utcnow
from intake.models import Department
from intake.rating_codes import format_code, store_codes
from intake.rating_models import RatingCode, RatingCodeBatch
from intake.ratings import department_poster
from portal import audit
from portal.auth import CurrentOfficer
from portal.keyring import current_key

MAX_BATCH = 2000


class BatchError(Exception):
    """The batch cannot be issued as asked; the message says why."""


def _batch_context(batch_id: int, office_id: int) -> bytes:
    return context("rating-code-batch", str(batch_id), str(office_id))


def issue_batch(session: Session, *, officer: CurrentOfficer, hospital_id: int, department_id: int | None,
                label: str, size: int, pepper: bytes) -> RatingCodeBatch:
    """Create `size` codes, keep their hashes, and seal the codes themselves to the office."""
    if not 1 <= size <= MAX_BATCH:
        raise BatchError(f"一批可生成 1 至 {MAX_BATCH} 个评价码")
    if not label.strip():
        raise BatchError("请填写批次名称，例如“住院处出院结算 2026年12月”")
    key = current_key(session, officer.office_id)
    batch = RatingCodeBatch(office_id=officer.office_id, hospital_id=hospital_id, department_id=department_id,
                            label=label.strip()[:100], size=size, sealed_codes=b"")
    session.add(batch)
    session.flush()
    codes = store_codes(session, batch=batch, pepper=pepper, size=size)
    batch.sealed_codes = seal(load_public_key(key.public_key), json.dumps(codes).encode("ascii"),
                              associated_data=_batch_context(batch.id, officer.office_id))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="rating_codes_issued",
                 target=str(batch.id), details={"codes": size})
    return batch


@dataclass(frozen=True)
class BatchRow:
    id: int
    label: str
    department: str
    size: int
    used: int
    created_at: datetime
    voided: bool


def list_batches(session: Session, *, office_id: int) -> list[BatchRow]:
    rows = session.execute(
        select(RatingCodeBatch, Department.name)
        .outerjoin(Department, Department.id == RatingCodeBatch.department_id)
        .where(RatingCodeBatch.office_id == office_id)
        .order_by(RatingCodeBatch.id.desc())
    ).all()
    return [BatchRow(b.id, b.label, name or "", b.size, b.used_count, b.created_at, b.voided_at is not None)
            for b, name in rows]


@dataclass(frozen=True)
class Sheet:
    batch: BatchRow
    hospital_name: str
    rating_path: str  # where the slips send patients, e.g. /q/abc123/rate
    codes: list[str]  # formatted, in issue order


def open_sheet(session: Session, *, officer: CurrentOfficer, batch_id: int, hospital_name: str,
               purpose: str) -> Sheet | None:
    """Decrypt a batch's codes for printing or download, and record it."""
    batch = session.get(RatingCodeBatch, batch_id)
    if batch is None or batch.office_id != officer.office_id:
        return None
    codes = json.loads(officer.keyring.open(batch.sealed_codes,
                                            associated_data=_batch_context(batch.id, batch.office_id)))
    poster = department_poster(session, hospital_id=batch.hospital_id, department_id=batch.department_id)
    row = next(r for r in list_batches(session, office_id=officer.office_id) if r.id == batch.id)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action=f"rating_codes_{purpose}",
                 target=str(batch.id), details={"codes": len(codes)})
    return Sheet(batch=row, hospital_name=hospital_name, rating_path=f"/q/{poster}/rate" if poster else "/",
                 codes=[format_code(c) for c in codes])


def void_batch(session: Session, *, officer: CurrentOfficer, batch_id: int) -> bool:
    """Make every unused code of a lost or misprinted batch unusable."""
    batch = session.get(RatingCodeBatch, batch_id)
    if batch is None or batch.office_id != officer.office_id or batch.voided_at is not None:
        return False
    batch.voided_at = utcnow()
    session.execute(delete(RatingCode).where(RatingCode.batch_id == batch.id))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="rating_codes_voided",
                 target=str(batch.id))
    return True
