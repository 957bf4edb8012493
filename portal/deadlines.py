"""Deadlines owed to real-name reporters (检举控告工作规则): the acceptance notice within N working days of
receipt, the result within N working days of the clue's closing. Anonymous reporters follow up by receipt code."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from intake.models import Submission, SubmissionKind
from intake.workdays import add_workdays, china_date, workdays_between
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
    return {submission_id: _owed(received, notices.get((submission_id, NoticeKind.ACCEPTANCE)),
                                 closed.get(submission_id), notices.get((submission_id, NoticeKind.RESULT)),
                                 acceptance_workdays=acceptance_workdays, result_workdays=result_workdays, today=today)
            for submission_id, received in reports}


def _owed(received: datetime, accepted_at: datetime | None, closed_on: date | None, told_at: datetime | None, *,
          acceptance_workdays: int, result_workdays: int, today: date) -> list[Deadline]:
    items = [_deadline(NoticeKind.ACCEPTANCE, add_workdays(china_date(received), acceptance_workdays), accepted_at,
                       today)]
    if closed_on is not None:
        items.append(_deadline(NoticeKind.RESULT, add_workdays(closed_on, result_workdays), told_at, today))
    return items


@dataclass(frozen=True)
class NoticesOwed:
    """An office's real-name reports that still owe a notice, by submission id, with their deadlines' states."""

    owing: frozenset[str]
    overdue: frozenset[str]  # a notice is overdue
    due_soon: frozenset[str]  # a notice falls due soon (another may be overdue)
    received: dict[str, datetime]  # of the overdue and due soon ones

    @property
    def urgent(self) -> frozenset[str]:
        return self.overdue | self.due_soon


def notices_owed(session: Session, *, office_id: int, today: date, acceptance_workdays: int,
                 result_workdays: int) -> NoticesOwed:
    """Real-name reports are a few percent: the ones still owing a notice are found through their partial index
    (migration 0012) and their deadlines counted here, in Python, as everywhere else."""
    accepted, told = aliased(ReporterNotice), aliased(ReporterNotice)
    rows = session.execute(
        select(Submission.id, Submission.created_hour, accepted.at, Clue.closed_on, told.at)
        .outerjoin(accepted, and_(accepted.submission_id == Submission.id, accepted.kind == NoticeKind.ACCEPTANCE))
        .outerjoin(ClueReport, ClueReport.submission_id == Submission.id)
        .outerjoin(Clue, and_(Clue.id == ClueReport.clue_id, Clue.status == ClueStatus.CLOSED,
                              Clue.closed_on.is_not(None)))
        .outerjoin(told, and_(told.submission_id == Submission.id, told.kind == NoticeKind.RESULT))
        .where(Submission.office_id == office_id, Submission.kind == SubmissionKind.REPORT,
               Submission.identity_envelope.is_not(None),
               or_(accepted.id.is_(None), and_(Clue.id.is_not(None), told.id.is_(None))),
               # True of every report; a range on the hour lets SQLite, which keeps no statistics here, tell that
               # the partial index of real-name reports beats reading every report's row.
               Submission.created_hour >= _EPOCH)
    ).all()
    owing, overdue, due_soon, urgent = set(), set(), set(), {}
    for submission_id, received, accepted_at, closed_on, told_at in rows:
        states = {d.state for d in _owed(received, accepted_at, closed_on, told_at, today=today,
                                         acceptance_workdays=acceptance_workdays, result_workdays=result_workdays)}
        owing.add(submission_id)
        if DeadlineState.OVERDUE in states:
            overdue.add(submission_id)
        if DeadlineState.DUE_SOON in states:
            due_soon.add(submission_id)
        if states & {DeadlineState.OVERDUE, DeadlineState.DUE_SOON}:
            urgent[submission_id] = received
    return NoticesOwed(owing=frozenset(owing), overdue=frozenset(overdue), due_soon=frozenset(due_soon),
                       received=urgent)


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
