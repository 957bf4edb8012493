"""Deadlines owed to real-name reporters (检举控告工作规则): the acceptance notice within N working days of
receipt, the result within N working days of the clue's closing. Anonymous reporters follow up by receipt code."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Subquery, and_, case, or_, select
from sqlalchemy.orm import Session, aliased

from intake.models import Submission, SubmissionKind
from intake.workdays import CHINA, add_workdays, china_date, workdays_between
from portal.clue_models import Clue, ClueReport, ClueStatus, NoticeKind, ReporterNotice

DUE_SOON_WORKDAYS = 3


class DeadlineState(enum.StrEnum):
    DONE = "done"  # 已告知
    OPEN = "open"  # 未到期
    DUE_SOON = "due_soon"  # 即将到期
    OVERDUE = "overdue"  # 已逾期


STATE_LABELS = {"done": "已告知", "open": "未到期", "due_soon": "即将到期", "overdue": "已逾期"}


@dataclass(frozen=True)
class Deadline:
    kind: NoticeKind
    due: date
    done_at: datetime | None
    state: DeadlineState
    workdays_left: int  # negative when overdue


def record_notice(session: Session, submission_id: str, kind: NoticeKind | str, at: datetime, *,
                  via: str = "reply", officer_id: int | None = None) -> ReporterNotice:
    """Record that a reporter was told (a reply on the follow-up page counts). The first notice stands."""
    kind = NoticeKind(kind)
    existing = session.scalar(
        select(ReporterNotice).where(ReporterNotice.submission_id == submission_id, ReporterNotice.kind == kind)
    )
    if existing is not None:
        return existing
    row = ReporterNotice(submission_id=submission_id, kind=kind, at=at, via=via, officer_id=officer_id)
    session.add(row)
    session.flush()
    return row


def _deadline(kind: NoticeKind, due: date, done_at: datetime | None, today: date) -> Deadline:
    left = workdays_between(today, due)
    if done_at is not None:
        state = DeadlineState.DONE
    elif today > due:
        state = DeadlineState.OVERDUE
    elif left <= DUE_SOON_WORKDAYS:
        state = DeadlineState.DUE_SOON
    else:
        state = DeadlineState.OPEN
    return Deadline(kind=kind, due=due, done_at=done_at, state=state, workdays_left=left)


def deadlines_for(session: Session, reports: Iterable[Submission], *, acceptance_workdays: int,
                  result_workdays: int, today: date) -> dict[str, list[Deadline]]:
    """The notices owed for each real-name report, by submission id (anonymous reports owe none)."""
    return real_name_deadlines(session, [(r.id, r.created_hour) for r in reports if r.identity_envelope is not None],
                               acceptance_workdays=acceptance_workdays, result_workdays=result_workdays, today=today)


def real_name_deadlines(session: Session, reports: list[tuple[str, datetime]], *, acceptance_workdays: int,
                        result_workdays: int, today: date) -> dict[str, list[Deadline]]:
    """The notices owed for real-name reports given as (submission id, hour received), by submission id."""
    ids = [submission_id for submission_id, _ in reports]
    if not ids:
        return {}
    notices = {(n.submission_id, n.kind): n.at for n in session.scalars(
        select(ReporterNotice).where(ReporterNotice.submission_id.in_(ids)))}
    closed = dict(session.execute(
        select(ClueReport.submission_id, Clue.closed_on).join(Clue, Clue.id == ClueReport.clue_id)
        .where(ClueReport.submission_id.in_(ids), Clue.status == ClueStatus.CLOSED)
    ).all())
    found: dict[str, list[Deadline]] = {}
    for submission_id, received_hour in reports:
        items = [_deadline(NoticeKind.ACCEPTANCE, add_workdays(china_date(received_hour), acceptance_workdays),
                           notices.get((submission_id, NoticeKind.ACCEPTANCE)), today)]
        closed_on = closed.get(submission_id)
        if closed_on is not None:
            items.append(_deadline(NoticeKind.RESULT, add_workdays(closed_on, result_workdays),
                                   notices.get((submission_id, NoticeKind.RESULT)), today))
        found[submission_id] = items
    return found


@dataclass(frozen=True)
class Cutoffs:
    """Where a deadline of n working days stands today, by the day it started from: a start before `overdue` is
    overdue, a start before `due_soon` is overdue or due soon, a later one is open."""

    overdue: date
    due_soon: date


def cutoffs(today: date, workdays: int) -> Cutoffs:
    """The start days at which a deadline's state changes today (states only grow later as the start does)."""
    def state(start: date) -> DeadlineState:
        return _deadline(NoticeKind.ACCEPTANCE, add_workdays(start, workdays), None, today).state

    day = today - timedelta(days=2 * workdays + 30)
    while state(day) is not DeadlineState.OVERDUE:
        day -= timedelta(days=30)
    while state(day) is DeadlineState.OVERDUE:
        day += timedelta(days=1)
    overdue = day
    while state(day) is not DeadlineState.OPEN:
        day += timedelta(days=1)
    return Cutoffs(overdue=overdue, due_soon=day)


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA)


def notices_owed(*, office_id: int, today: date, acceptance_workdays: int, result_workdays: int) -> Subquery:
    """The office's real-name reports that still owe a notice, one row each: submission_id, and overdue and due_soon
    (1 or 0). Uncorrelated, so that a list can join it once; the states are those `real_name_deadlines` gives,
    compared as cut-off days worked out here rather than counted in SQL."""
    accepted, told = aliased(ReporterNotice), aliased(ReporterNotice)
    acceptance, result = cutoffs(today, acceptance_workdays), cutoffs(today, result_workdays)
    acceptance_owed = accepted.id.is_(None)
    result_owed = and_(Clue.id.is_not(None), told.id.is_(None))
    received = Submission.created_hour
    overdue = or_(and_(acceptance_owed, received < _china_midnight(acceptance.overdue)),
                  and_(result_owed, Clue.closed_on < result.overdue))
    due_soon = or_(and_(acceptance_owed, received >= _china_midnight(acceptance.overdue),
                        received < _china_midnight(acceptance.due_soon)),
                   and_(result_owed, Clue.closed_on >= result.overdue, Clue.closed_on < result.due_soon))
    return (
        select(Submission.id.label("submission_id"), case((overdue, 1), else_=0).label("overdue"),
               case((due_soon, 1), else_=0).label("due_soon"))
        .outerjoin(accepted, and_(accepted.submission_id == Submission.id, accepted.kind == NoticeKind.ACCEPTANCE))
        .outerjoin(ClueReport, ClueReport.submission_id == Submission.id)
        .outerjoin(Clue, and_(Clue.id == ClueReport.clue_id, Clue.status == ClueStatus.CLOSED,
                              Clue.closed_on.is_not(None)))
        .outerjoin(told, and_(told.submission_id == Submission.id, told.kind == NoticeKind.RESULT))
        .where(Submission.office_id == office_id, Submission.kind == SubmissionKind.REPORT,
               Submission.identity_envelope.is_not(None), or_(acceptance_owed, result_owed))
        .subquery("owed")
    )
