"""The clue ledger (问题线索台帐, seed 002 attachment 3) as rows of text: the same rows on screen and in xlsx."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Department
from portal import audit
from portal.auth import CurrentOfficer
from portal.clue_models import LABELS, Clue, ClueSource, ClueStatus, ReportCategory
from portal.clues import disposition_and_result, open_texts, source_label

# The seed's seven columns in its order, then what practice adds (number, department, status).
COLUMNS = ("序号", "姓名", "职务", "线索摘要", "线索来源", "受理时间", "处置方式及结果", "线索编号", "科室", "办理状态")


@dataclass(frozen=True)
class LedgerFilter:
    status: ClueStatus | None = None
    source: ClueSource | None = None
    category: ReportCategory | None = None
    department_id: int | None = None
    year: int | None = None

    def as_details(self) -> dict[str, str | int]:
        return {k: (v.value if hasattr(v, "value") else v) for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class LedgerRow:
    clue_id: int
    cells: tuple[str, ...]


def ledger(session: Session, *, officer: CurrentOfficer, wanted: LedgerFilter, action: str) -> list[LedgerRow]:
    """Decrypt the ledger's texts with the session's keys; the reading is one audit event (`action`)."""
    query = (select(Clue, Department.name).outerjoin(Department, Department.id == Clue.department_id)
             .where(Clue.office_id == officer.office_id).order_by(Clue.received_on, Clue.id))
    if wanted.status:
        query = query.where(Clue.status == wanted.status)
    if wanted.source:
        query = query.where(Clue.source == wanted.source)
    if wanted.category:
        query = query.where(Clue.category == wanted.category)
    if wanted.department_id:
        query = query.where(Clue.department_id == wanted.department_id)
    if wanted.year:
        query = query.where(Clue.number.startswith(f"{wanted.year}-"))
    rows: list[LedgerRow] = []
    for index, (clue, department) in enumerate(session.execute(query).all(), start=1):
        texts = open_texts(clue, officer, ("person", "position", "summary", "result"))
        rows.append(LedgerRow(clue_id=clue.id, cells=(
            str(index), texts["person"], texts["position"], texts["summary"], source_label(clue),
            clue.received_on.isoformat(), disposition_and_result(clue, texts["result"]), clue.number,
            department or "", LABELS["status"][clue.status.value],
        )))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action=action, target="ledger",
                 details={"rows": len(rows), **wanted.as_details()})
    return rows
