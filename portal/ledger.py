"""The clue ledger (问题线索台帐, seed 002 attachment 3) as rows of text: the same rows on screen and in xlsx.

The page shows one page of rows and opens only that page's texts; the export streams every row, opening the texts
in batches (over worker processes when there are many).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from intake.models import Department
from portal import audit
from portal.auth import CurrentOfficer
from portal.clue_models import LABELS, Clue, ClueSource, ClueStatus, ReportCategory
from portal.clues import disposition_and_result, field_context, source_label
from portal.opening import Item, Opener

# The seed's seven columns in its order, then what practice adds (number, department, status).
COLUMNS = ("序号", "姓名", "职务", "线索摘要", "线索来源", "受理时间", "处置方式及结果", "线索编号", "科室", "办理状态")
PAGE_SIZE = 100
OPENED = ("person", "position", "summary", "result")
BATCH = 1000  # clues per batch of the export
AHEAD = 4  # batches opening while earlier ones are written


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


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    page: int
    pages: int


def _where(query: Select[Any], officer: CurrentOfficer, wanted: LedgerFilter) -> Select[Any]:
    query = query.where(Clue.office_id == officer.office_id)
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
    return query


def _rows_query(officer: CurrentOfficer, wanted: LedgerFilter) -> Select[Any]:
    """Only the columns a row shows (plain fields and the four sealed texts), oldest first as the ledger runs."""
    columns = (Clue.id, Clue.office_id, Clue.number, Clue.source, Clue.channel, Clue.received_on, Clue.status,
               Clue.disposition, Clue.further_step, Clue.transfer_to, Clue.outcome_form,
               *(getattr(Clue, f"{name}_sealed") for name in OPENED), Department.name.label("department"))
    query = select(*columns).outerjoin(Department, Department.id == Clue.department_id)
    return _where(query, officer, wanted).order_by(Clue.received_on, Clue.id)


def _sealed(rows: Sequence[Row[Any]]) -> list[Item]:
    return [(envelope, field_context(office_id=row.office_id, clue_id=row.id, field=name))
            for row in rows for name in OPENED if (envelope := getattr(row, f"{name}_sealed"))]


def _ledger_rows(rows: Sequence[Row[Any]], opened: list[bytes], first: int) -> Iterator[LedgerRow]:
    texts = iter(opened)
    for index, row in enumerate(rows, start=first):
        text = {name: next(texts).decode("utf-8") if getattr(row, f"{name}_sealed") else "" for name in OPENED}
        yield LedgerRow(clue_id=row.id, cells=(
            str(index), text["person"], text["position"], text["summary"], source_label(row),
            row.received_on.isoformat(), disposition_and_result(row, text["result"]),
            row.number, row.department or "", LABELS["status"][row.status.value],
        ))


def ledger_page(session: Session, *, officer: CurrentOfficer, wanted: LedgerFilter, page: int) -> LedgerPage:
    """One page of the ledger, its texts opened with the session's keys (the caller records the reading)."""
    total = count_rows(session, officer=officer, wanted=wanted)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    first = (page - 1) * PAGE_SIZE
    found = session.execute(_rows_query(officer, wanted).limit(PAGE_SIZE).offset(first)).all()
    opened = Opener(officer.keyring).submit(_sealed(found)).result()
    return LedgerPage(rows=list(_ledger_rows(found, opened, first + 1)), total=total, page=page, pages=pages)


def record_reading(session: Session, *, officer: CurrentOfficer, wanted: LedgerFilter, action: str,
                   details: dict[str, str | int]) -> None:
    """Every reading of the ledger (a page, an export) is one audit event."""
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action=action, target="ledger",
                 details={**details, **wanted.as_details()})


def all_ledger_rows(session: Session, *, opener: Opener, officer: CurrentOfficer,
                    wanted: LedgerFilter) -> Iterator[LedgerRow]:
    """Every row of the ledger in order, read in batches whose texts open while earlier rows are written."""
    result = session.execute(_rows_query(officer, wanted).execution_options(yield_per=BATCH))
    waiting: deque[tuple[Sequence[Row[Any]], Future[list[bytes]], int]] = deque()
    first = 1
    for batch in result.partitions():
        waiting.append((batch, opener.submit(_sealed(batch)), first))
        first += len(batch)
        if len(waiting) >= AHEAD:
            rows, opened, start = waiting.popleft()
            yield from _ledger_rows(rows, opened.result(), start)
    while waiting:
        rows, opened, start = waiting.popleft()
        yield from _ledger_rows(rows, opened.result(), start)


def count_rows(session: Session, *, officer: CurrentOfficer, wanted: LedgerFilter) -> int:
    return int(session.scalar(_where(select(func.count(Clue.id)), officer, wanted)) or 0)
