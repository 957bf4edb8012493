"""Deadlines owed to real-name reporters (检举控告工作规则): the acceptance notice within N working days of
receipt, the result within N working days of the clue's closing. Anonymous reporters follow up by receipt code."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Submission
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
    real_name = [r for r in reports if r.identity_envelope is not None]
    ids = [r.id for r in real_name]
    if not ids:
        return {}
    notices = {(n.submission_id, n.kind): n.at for n in session.scalars(
        select(ReporterNotice).where(ReporterNotice.submission_id.in_(ids)))}
    closed = dict(session.execute(
        select(ClueReport.submission_id, Clue.closed_on).join(Clue, Clue.id == ClueReport.clue_id)
        .where(ClueReport.submission_id.in_(ids), Clue.status == ClueStatus.CLOSED)
    ).all())
    found: dict[str, list[Deadline]] = {}
    for report in real_name:
        received = china_date(report.created_hour)
        items = [_deadline(NoticeKind.ACCEPTANCE, add_workdays(received, acceptance_workdays),
                           notices.get((report.id, NoticeKind.ACCEPTANCE)), today)]
        closed_on = closed.get(report.id)
        if closed_on is not None:
            items.append(_deadline(NoticeKind.RESULT, add_workdays(closed_on, result_workdays),
                                   notices.get((report.id, NoticeKind.RESULT)), today))
        found[report.id] = items
    return found
