"""More kinds of work for the unified inbox: hand-ins waiting for the office, reporters who wrote back, and rating
alerts (a rating that says a red envelope was asked for, or carries a comment)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.conversation import Message, MessageKind
from intake.handin_models import HandIn, HandInState
from intake.labels import HANDIN_STATE
from intake.models import Department, Submission
from portal.rating_models import AlertStatus, RatingAlert
from portal.workbench import InboxItem, WorkContext, register_source


def handin_source(session: Session, ctx: WorkContext) -> list[InboxItem]:
    """Hand-ins of this office not yet handled: the envelope to confirm, then the handling to record."""
    rows = session.execute(
        select(HandIn, Submission.department_id, Department.name)
        .join(Submission, Submission.id == HandIn.submission_id)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.office_id == ctx.office_id, HandIn.state != HandInState.HANDLED)
        .order_by(HandIn.registered_at.desc())
        .limit(2000)
    ).all()
    return [
        InboxItem(kind="handin", ref=h.submission_id, url=f"/office/handins/{h.submission_id}",
                  received=h.registered_at, department_id=department_id, department=name or "", category=None,
                  status=h.state.value, status_label=HANDIN_STATE[h.state.value], finished=False,
                  assignee_id=ctx.assignments.get(("handin", h.submission_id)))
        for h, department_id, name in rows
    ]


def _handin_of(session: Session, ref: str, office_id: int) -> bool:
    found = session.scalar(select(Submission.office_id).join(HandIn, HandIn.submission_id == Submission.id)
                           .where(Submission.id == ref))
    return found == office_id


def reply_source(session: Session, ctx: WorkContext) -> list[InboxItem]:
    """Reports whose reporter wrote back after the office's last message: the office owes an answer."""
    last_answer = (
        select(Message.submission_id, func.max(Message.seq).label("seq"), func.max(Message.created_hour).label("at"))
        .where(Message.kind == MessageKind.ANSWER).group_by(Message.submission_id).subquery()
    )
    last_office = (
        select(Message.submission_id, func.max(Message.seq).label("seq"))
        .where(Message.kind != MessageKind.ANSWER).group_by(Message.submission_id).subquery()
    )
    rows = session.execute(
        select(Submission, Department.name, last_answer.c.at)
        .join(last_answer, last_answer.c.submission_id == Submission.id)
        .outerjoin(last_office, last_office.c.submission_id == Submission.id)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.office_id == ctx.office_id,
               (last_office.c.seq.is_(None)) | (last_office.c.seq < last_answer.c.seq))
        .limit(2000)
    ).all()
    return [
        InboxItem(kind="reply", ref=s.id, url=f"/office/submissions/{s.id}", received=at,
                  department_id=s.department_id, department=name or "", category=None, status="answered",
                  status_label="举报人补充", finished=False, real_name=s.identity_envelope is not None,
                  assignee_id=ctx.assignments.get(("reply", s.id)))
        for s, name, at in rows
    ]


def _reply_of(session: Session, ref: str, office_id: int) -> bool:
    return session.scalar(select(Submission.office_id).where(Submission.id == ref)) == office_id


def rating_alert_source(session: Session, ctx: WorkContext) -> list[InboxItem]:
    """Rating alerts not yet handled; their answers stay sealed until the alerts page opens them."""
    rows = session.execute(
        select(RatingAlert, Department.name)
        .outerjoin(Department, Department.id == RatingAlert.department_id)
        .where(RatingAlert.office_id == ctx.office_id, RatingAlert.status == AlertStatus.NEW)
        .order_by(RatingAlert.created_hour.desc())
        .limit(2000)
    ).all()
    return [
        InboxItem(kind="rating_alert", ref=a.id, url="/office/ratings/alerts", received=a.created_hour,
                  department_id=a.department_id, department=name or "", category=None, status="new",
                  status_label="评价线索", finished=False, assignee_id=ctx.assignments.get(("rating_alert", a.id)))
        for a, name in rows
    ]


def _rating_alert_of(session: Session, ref: str, office_id: int) -> bool:
    return session.scalar(select(RatingAlert.office_id).where(RatingAlert.id == ref)) == office_id


register_source("handin", "红包上缴登记", handin_source, _handin_of)
register_source("rating_alert", "评价线索", rating_alert_source, _rating_alert_of)
register_source("reply", "举报人补充", reply_source, _reply_of)
