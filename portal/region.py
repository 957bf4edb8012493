"""Per-hospital figures for the authority: counts only, computed in SQL, small cells suppressed.

Nothing here opens an envelope: the figures come from plain workflow fields (kind, status, hour, notices).
A figure is pluggable (`register_figure`): the ratings module adds "positive %" when it merges; until then the
column shows "—".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from intake.models import Hospital, Office, OfficeKind, Submission, SubmissionKind
from intake.workdays import CHINA, add_workdays
from portal.clue_models import Clue, ClueReport, ClueStatus, NoticeKind, ReporterNotice

SUPPRESS_BELOW = 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time(0), tzinfo=CHINA),
                datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=CHINA))


@dataclass(frozen=True)
class FigureContext:
    office_ids: list[int]
    period: Period
    today: date
    acceptance_workdays: int
    result_workdays: int


# A figure: its Chinese column label, and a function giving each office's value (an int count, or a shown text
# such as "83%" which the figure itself must suppress when its base is small). Missing offices show "—".
Figure = Callable[[Session, FigureContext], dict[int, int | str]]
FIGURES: dict[str, tuple[str, Figure | None]] = {}


def register_figure(key: str, label: str, compute: Figure | None) -> None:
    FIGURES[key] = (label, compute)


def shown(value: int | str | None) -> str:
    """A cell as the authority sees it: counts under 10 are "<10" so that no single report stands out."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return "<10" if value < SUPPRESS_BELOW else str(value)
    return value


def _in(ctx: FigureContext) -> list:  # type: ignore[type-arg]
    start, end = ctx.period.bounds()
    return [Submission.office_id.in_(ctx.office_ids), Submission.created_hour >= start,
            Submission.created_hour < end]


def received(session: Session, ctx: FigureContext) -> dict[int, int | str]:
    rows = session.execute(select(Submission.office_id, func.count()).where(
        Submission.kind == SubmissionKind.REPORT, *_in(ctx)).group_by(Submission.office_id))
    return {office: int(n) for office, n in rows}


def still_open(session: Session, ctx: FigureContext) -> dict[int, int | str]:
    """Reports not closed, whenever they came (the period does not apply: open is a state of today)."""
    rows = session.execute(select(Submission.office_id, func.count()).where(
        Submission.kind == SubmissionKind.REPORT, Submission.office_id.in_(ctx.office_ids),
        Submission.status != "closed").group_by(Submission.office_id))
    return {office: int(n) for office, n in rows}


def _last_overdue_day(today: date, workdays: int) -> date:
    """The latest day whose deadline (that day + `workdays` working days) is already past today."""
    day = today
    while add_workdays(day, workdays) >= today:
        day -= timedelta(days=1)
    return day


def overdue(session: Session, ctx: FigureContext) -> dict[int, int | str]:
    """Real-name reports whose acceptance or result notice is past its deadline and not given (today)."""
    acceptance_cut = datetime.combine(_last_overdue_day(ctx.today, ctx.acceptance_workdays) + timedelta(days=1),
                                      time(0), tzinfo=CHINA)
    result_cut = _last_overdue_day(ctx.today, ctx.result_workdays)

    def told(kind: NoticeKind):  # type: ignore[no-untyped-def]
        return exists().where(ReporterNotice.submission_id == Submission.id, ReporterNotice.kind == kind)

    closed_late = exists().where(ClueReport.submission_id == Submission.id, Clue.id == ClueReport.clue_id,
                                 Clue.status == ClueStatus.CLOSED, Clue.closed_on <= result_cut)
    rows = session.execute(select(Submission.office_id, func.count()).where(
        Submission.kind == SubmissionKind.REPORT, Submission.office_id.in_(ctx.office_ids),
        Submission.identity_envelope.is_not(None),
        (and_(Submission.created_hour < acceptance_cut, ~told(NoticeKind.ACCEPTANCE)))
        | (and_(closed_late, ~told(NoticeKind.RESULT)))).group_by(Submission.office_id))
    return {office: int(n) for office, n in rows}


def handins(session: Session, ctx: FigureContext) -> dict[int, int | str]:
    rows = session.execute(select(Submission.office_id, func.count()).where(
        Submission.kind == SubmissionKind.HAND_IN, *_in(ctx)).group_by(Submission.office_id))
    return {office: int(n) for office, n in rows}


register_figure("received", "收到举报", received)
register_figure("open", "未办结", still_open)
register_figure("overdue", "逾期未告知", overdue)
register_figure("ratings_positive", "满意度好评率", None)  # the ratings module registers the real one
register_figure("handins", "红包上缴登记", handins)


@dataclass(frozen=True)
class HospitalFigures:
    hospital_id: int
    code: str
    name: str
    office_id: int
    cells: dict[str, str]


def hospital_offices(session: Session) -> list[tuple[Hospital, Office]]:
    return list(session.execute(select(Hospital, Office).join(Office, Office.hospital_id == Hospital.id)
                                .where(Office.kind == OfficeKind.HOSPITAL).order_by(Hospital.id)).all())  # type: ignore[arg-type]


def figures(session: Session, *, period: Period, today: date, acceptance_workdays: int,
            result_workdays: int) -> list[HospitalFigures]:
    """One row per hospital, each cell already suppressed for display or export."""
    pairs = hospital_offices(session)
    ctx = FigureContext(office_ids=[o.id for _, o in pairs], period=period, today=today,
                        acceptance_workdays=acceptance_workdays, result_workdays=result_workdays)
    values = {key: (compute(session, ctx) if compute else None) for key, (_, compute) in FIGURES.items()}
    rows = []
    for hospital, office in pairs:
        cells = {key: shown(None if found is None else found.get(office.id, 0)) for key, found in values.items()}
        rows.append(HospitalFigures(hospital_id=hospital.id, code=hospital.code, name=hospital.name,
                                    office_id=office.id, cells=cells))
    return rows


def labels() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _) in FIGURES.items()]
