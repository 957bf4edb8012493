"""The quarterly report (季度报告, due 3 working days after quarter end): one workbook gathering the quarter's
reports, clues, ratings and hand-ins. Each part is a pluggable section builder; the ratings and hand-ins modules
register richer sections of their own when they merge (`register_section`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.labels import KIND
from intake.models import Department, Submission, SubmissionKind
from intake.workdays import CHINA, add_workdays, china_date
from portal import audit, xlsx
from portal.auth import CurrentOfficer
from portal.clue_models import LABELS, Clue, ClueReport, ClueSource, ClueStatus, Disposition, NoticeKind
from portal.clue_models import ReporterNotice as Notice
from portal.exports import body_name


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1-4

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        following = date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)
        return following - timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}年第{'一二三四'[self.number - 1]}季度"

    def bounds(self) -> tuple[datetime, datetime]:
        """The quarter in UTC instants, from China midnight to China midnight."""
        return (datetime.combine(self.start, time(0), tzinfo=CHINA),
                datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=CHINA))


@dataclass(frozen=True)
class Section:
    sheet: str
    heading: str
    columns: tuple[str, ...]
    rows: list[tuple[str | int, ...]]
    key_figures: tuple[tuple[str, int], ...] = ()  # shown on the overview sheet
    widths: tuple[float, ...] = ()


@dataclass(frozen=True)
class QuarterContext:
    office_id: int
    quarter: Quarter
    acceptance_workdays: int = 15


SectionBuilder = Callable[[Session, QuarterContext], list[Section]]
SECTIONS: dict[str, SectionBuilder] = {}


def register_section(key: str, builder: SectionBuilder) -> None:
    """Add (or replace) a part of the quarterly report; parts appear in registration order."""
    SECTIONS[key] = builder


def intake_section(session: Session, ctx: QuarterContext) -> list[Section]:
    """How much arrived, per department and kind (plain fields: reports, ratings and hand-ins alike)."""
    office_id, quarter = ctx.office_id, ctx.quarter
    start, end = quarter.bounds()
    counts = session.execute(
        select(Department.name, Submission.kind, func.count())
        .select_from(Submission).outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.office_id == office_id, Submission.created_hour >= start, Submission.created_hour < end)
        .group_by(Department.name, Submission.kind)
    ).all()
    kinds = list(SubmissionKind)
    by_department: dict[str, dict[SubmissionKind, int]] = {}
    for name, kind, count in counts:
        by_department.setdefault(name or "未指定科室", {})[kind] = int(count)
    rows: list[tuple[str | int, ...]] = [
        (name, *(found.get(k, 0) for k in kinds), sum(found.values())) for name, found in sorted(by_department.items())
    ]
    totals = [sum(int(r[i + 1]) for r in rows) for i in range(len(kinds) + 1)]
    rows.append(("合计", *totals))
    return [Section(sheet="收件情况", heading=f"{quarter.label}收件情况（按科室）",
                    columns=("科室", *(KIND[k.value] for k in kinds), "合计"), rows=rows, widths=(20, 12, 14, 16, 10),
                    key_figures=tuple((KIND[k.value], totals[i]) for i, k in enumerate(kinds)))]


def reports_section(session: Session, ctx: QuarterContext) -> list[Section]:
    """Reports: real-name share, how many became clues, and whether acceptance notices were given in time."""
    office_id, quarter = ctx.office_id, ctx.quarter
    start, end = quarter.bounds()
    reports = session.scalars(select(Submission).where(
        Submission.office_id == office_id, Submission.kind == SubmissionKind.REPORT,
        Submission.created_hour >= start, Submission.created_hour < end)).all()
    ids = [r.id for r in reports]
    in_clue = set(session.scalars(select(ClueReport.submission_id).where(ClueReport.submission_id.in_(ids))))
    notices = {n.submission_id: n.at for n in session.scalars(
        select(Notice).where(Notice.submission_id.in_(ids), Notice.kind == NoticeKind.ACCEPTANCE))}
    real = [r for r in reports if r.identity_envelope is not None]
    on_time = sum(1 for r in real if r.id in notices
                  and china_date(notices[r.id]) <= add_workdays(china_date(r.created_hour), ctx.acceptance_workdays))
    rows: list[tuple[str | int, ...]] = [
        ("举报总数", len(reports)), ("其中实名", len(real)), ("其中匿名", len(reports) - len(real)),
        ("已转为或并入线索", len(in_clue)), ("实名举报按期受理告知", on_time),
        ("实名举报未按期或尚未告知", len(real) - on_time),
    ]
    return [Section(sheet="举报", heading=f"{quarter.label}举报受理情况", columns=("项目", "数量"), rows=rows,
                    widths=(30, 12), key_figures=(("举报总数", len(reports)), ("转为线索", len(in_clue))))]


def clues_section(session: Session, ctx: QuarterContext) -> list[Section]:
    """Clues received in the quarter by source and disposition, and clues closed in the quarter by outcome."""
    office_id, quarter = ctx.office_id, ctx.quarter
    received = session.scalars(select(Clue).where(Clue.office_id == office_id, Clue.received_on >= quarter.start,
                                                  Clue.received_on <= quarter.end)).all()
    closed = session.scalars(select(Clue).where(Clue.office_id == office_id, Clue.status == ClueStatus.CLOSED,
                                                Clue.closed_on >= quarter.start, Clue.closed_on <= quarter.end)).all()
    rows: list[tuple[str | int, ...]] = [("本季度受理线索", "", len(received))]
    rows += [("线索来源", LABELS["source"][s.value], sum(1 for c in received if c.source is s)) for s in ClueSource]
    rows += [("处置方式", LABELS["disposition"][d.value], sum(1 for c in received if c.disposition is d))
             for d in Disposition]
    rows.append(("处置方式", "尚未处置", sum(1 for c in received if c.disposition is None)))
    rows.append(("本季度销号线索", "", len(closed)))
    rows += [("四种形态", LABELS["outcome_form"][str(n)], sum(1 for c in closed if c.outcome_form == n))
             for n in (1, 2, 3, 4)]
    rows.append(("行政处罚（人数）", "", sum(1 for c in closed if c.administrative_penalty)))
    rows.append(("通报问题（个数）", "", sum(1 for c in closed if c.publicised)))
    rows.append(("完善制度（个数）", "", sum(c.rules_improved for c in closed)))
    return [Section(sheet="问题线索", heading=f"{quarter.label}问题线索处置情况", columns=("项目", "分类", "数量"),
                    rows=rows, widths=(20, 22, 10),
                    key_figures=(("受理线索", len(received)), ("销号线索", len(closed))))]


register_section("intake", intake_section)
register_section("reports", reports_section)
register_section("clues", clues_section)


def quarterly_xlsx(session: Session, *, officer: CurrentOfficer, quarter: Quarter, today: date,
                   acceptance_workdays: int = 15) -> bytes:
    """Build every registered section into one workbook with an overview sheet first."""
    ctx = QuarterContext(office_id=officer.office_id, quarter=quarter, acceptance_workdays=acceptance_workdays)
    sections = [s for builder in SECTIONS.values() for s in builder(session, ctx)]
    name = body_name(session, officer.office_id)
    book = xlsx.new_workbook()
    overview = xlsx.sheet(book, "概况", widths=(24, 30, 12))
    xlsx.title(overview, f"{name}{quarter.label}纪检监察工作报表", columns=3)
    overview.cell(row=2, column=1, value=f"统计区间：{quarter.start.isoformat()} 至 {quarter.end.isoformat()}；"
                                         f"生成日期：{today.isoformat()}")
    for column, heading in enumerate(("部分", "指标", "数量"), start=1):
        xlsx.header_cell(overview, 3, column, heading)
    figures = [(s.sheet, label, value) for s in sections for label, value in s.key_figures]
    after = xlsx.data_rows(overview, figures, start=4)
    xlsx.notes(overview, [xlsx.SIGNATURE], start=after + 1, columns=3)
    for section in sections:
        ws = xlsx.sheet(book, section.sheet, widths=section.widths or [16] * len(section.columns))
        xlsx.title(ws, section.heading, columns=len(section.columns))
        for column, heading in enumerate(section.columns, start=1):
            xlsx.header_cell(ws, 2, column, heading)
        xlsx.data_rows(ws, section.rows, start=3, wrap=frozenset({1}))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="export", target="quarterly",
                 details={"quarter": f"{quarter.year}Q{quarter.number}", "sections": ",".join(SECTIONS)})
    return xlsx.to_bytes(book)
