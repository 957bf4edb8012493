"""The seed 002 forms as xlsx: the clue ledger (attachment 3, plus number, department, status) and the summary
table (attachment 4). Each export is an audit event; the workbook exists only in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Department, DepartmentCategory, Hospital, Office
from portal import audit, xlsx, xlsx_stream
from portal.auth import CurrentOfficer
from portal.clue_models import LABELS, Clue, ClueStatus, PersonRank, ReportCategory
from portal.db import Database
from portal.ledger import COLUMNS, LedgerFilter, all_ledger_rows, count_rows, record_reading
from portal.opening import Opener, export_workers

LEDGER_WIDTHS = (6, 10, 12, 40, 16, 12, 40, 11, 12, 9)
LEDGER_NOTES = (
    "说明：1.线索来源分为：信访举报、检举控告、巡视巡察、上级纪委监委交办、审计发现、政法机关移送、自行发现等；",
    "      2．统计口径为专项整治工作启动以来截至填报日期的累计数据。",
)
SUMMARY_NOTES = (
    "说明：1.“处理人员”中“其他”包括中层以下公职人员、非党员、非公职人员等；",
    "      2．“行政处罚”中仅填写对非党员、非公职人员的处理处罚人数；",
    "      3．统计口径为专项整治工作启动以来截至填报日期的累计数据。",
)
LARGE = 5000  # ledger rows from which the export opens texts over worker processes
CATEGORY_ORDER = (DepartmentCategory.FUNCTIONAL, DepartmentCategory.CLINICAL, DepartmentCategory.MEDICAL_TECHNICAL)


def body_name(session: Session, office_id: int) -> str:
    """The hospital's name (or the authority's) for a form's title."""
    office = session.get(Office, office_id)
    assert office is not None
    if office.hospital_id is not None:
        hospital = session.get(Hospital, office.hospital_id)
        if hospital is not None:
            return hospital.name
    return office.name


def ledger_xlsx(db: Database, *, officer: CurrentOfficer, wanted: LedgerFilter, today: date,
                workers: int | None = None) -> bytes:
    """问题线索台帐: the same rows as the ledger page, every page, decrypted in memory; recorded as an export.

    Read without the write lock (a large ledger takes seconds, during which reports keep arriving); its texts
    open over worker processes from LARGE rows on, or as `workers` says."""
    with db.read() as session:
        total = count_rows(session, officer=officer, wanted=wanted)
        if workers is None:
            workers = export_workers() if total >= LARGE else 0
        with Opener(officer.keyring, workers=workers) as opener:
            content, count = xlsx_stream.long_table(
                sheet="问题线索台帐", title=f"{body_name(session, officer.office_id)}问题线索台帐",
                subtitle=f"截至 {today.isoformat()}", columns=COLUMNS, widths=LEDGER_WIDTHS,
                rows=(r.cells for r in all_ledger_rows(session, opener=opener, officer=officer, wanted=wanted)),
                wrap=frozenset({4, 7}), notes=[xlsx.SIGNATURE, *LEDGER_NOTES])
    with db.transaction() as session:
        record_reading(session, officer=officer, wanted=wanted, action="export", details={"rows": count})
    return content


@dataclass(frozen=True)
class SummaryRow:
    item: str
    departments: tuple[int, int, int, int]  # 职能 / 临床 / 医技 / 合计 (distinct departments)
    people: tuple[int, int, int]  # 中层人员 / 其他 / 合计
    forms: tuple[int, int, int, int, int]  # 第一 … 第四种形态 / 合计
    penalties: int
    notices: int
    rules: int

    def cells(self) -> tuple[str | int, ...]:
        return (self.item, *self.departments, *self.people, *self.forms, self.penalties, self.notices, self.rules)


def _summary_row(item: str, clues: list[tuple[Clue, DepartmentCategory | None]]) -> SummaryRow:
    departments = [{c.department_id for c, cat in clues if cat is kind and c.department_id} for kind in
                   CATEGORY_ORDER]
    dept_counts = [len(d) for d in departments]
    # 处理人员: people handled in a closed clue (an outcome form used or an administrative penalty).
    handled = [c for c, _ in clues if c.status is ClueStatus.CLOSED and (c.outcome_form or c.administrative_penalty)]
    middle = sum(1 for c in handled if c.person_rank is PersonRank.MIDDLE)
    forms = [sum(1 for c in handled if c.outcome_form == n) for n in (1, 2, 3, 4)]
    closed = [c for c, _ in clues if c.status is ClueStatus.CLOSED]
    return SummaryRow(
        item=item, departments=(*dept_counts, sum(dept_counts)),  # type: ignore[arg-type]
        people=(middle, len(handled) - middle, len(handled)), forms=(*forms, sum(forms)),  # type: ignore[arg-type]
        penalties=sum(1 for c in closed if c.administrative_penalty),
        notices=sum(1 for c in closed if c.publicised), rules=sum(c.rules_improved for c in closed),
    )


def summary_rows(session: Session, *, office_id: int, since: date, until: date) -> list[SummaryRow]:
    """One row per problem category (整治工作项目) with clues received in the period, then 合计."""
    found = session.execute(
        select(Clue, Department.category).outerjoin(Department, Department.id == Clue.department_id)
        .where(Clue.office_id == office_id, Clue.received_on >= since, Clue.received_on <= until)
    ).all()
    rows = []
    for category in ReportCategory:
        mine = [(c, cat) for c, cat in found if c.category is category]
        if mine:
            rows.append(_summary_row(LABELS["category"][category.value], mine))
    unclassified = [(c, cat) for c, cat in found if c.category is None]
    if unclassified:
        rows.append(_summary_row("未分类", unclassified))
    rows.append(_summary_row("合计", list(found)))
    return rows


def summary_xlsx(session: Session, *, officer: CurrentOfficer, since: date, until: date) -> bytes:
    """整治情况汇总表 in the two-row header of seed 002 attachment 4 (plain fields only, no decryption)."""
    rows = summary_rows(session, office_id=officer.office_id, since=since, until=until)
    book = xlsx.new_workbook()
    ws = xlsx.sheet(book, "整治情况汇总表", widths=(24, *([11] * 15)))
    xlsx.title(ws, f"{body_name(session, officer.office_id)}问题线索整治情况汇总表", columns=16)
    ws.cell(row=2, column=1, value=f"统计区间：{since.isoformat()} 至 {until.isoformat()}")
    groups = (("整治工作项目", 1, 1), ("科室类别（个数）", 2, 5), ("处理人员（人数）", 6, 8),
              ("四种形态运用（人数）", 9, 13), ("行政处罚（人数）", 14, 14), ("通报问题（个数）", 15, 15),
              ("完善制度（个数）", 16, 16))
    subs = ("职能科室", "临床科室", "医技科室", "合计", "中层人员", "其他", "合计",
            "第一种形态", "第二种形态", "第三种形态", "第四种形态", "合计")
    for name, first, last in groups:
        for column in range(first, last + 1):
            xlsx.header_cell(ws, 3, column, name if column == first else None)
            xlsx.header_cell(ws, 4, column, None)
        if first == last:
            ws.merge_cells(start_row=3, start_column=first, end_row=4, end_column=last)
        else:
            ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=last)
    for offset, name in enumerate(subs):
        xlsx.header_cell(ws, 4, 2 + offset, name)
    ws.row_dimensions[4].height = 30
    after = xlsx.data_rows(ws, [r.cells() for r in rows], start=5, wrap=frozenset({1}))
    xlsx.notes(ws, [xlsx.SIGNATURE, *SUMMARY_NOTES], start=after + 1, columns=16)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="export", target="summary",
                 details={"since": since.isoformat(), "until": until.isoformat()})
    return xlsx.to_bytes(book)
