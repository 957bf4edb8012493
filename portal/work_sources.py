"""More kinds of work for the unified inbox: hand-ins waiting for the office, reporters who wrote back, and rating
alerts (a rating that says a red envelope was asked for, or carries a comment)."""

from __future__ import annotations

from sqlalchemy import String, func, literal, select, true
from sqlalchemy.orm import Session

from intake.conversation import Message, MessageKind
from intake.handin_models import HandIn, HandInState
from intake.labels import HANDIN_STATE
from intake.models import Department, Submission, SubmissionKind
from portal.rating_models import AlertStatus, RatingAlert
from portal.workbench import InboxItem, Listing, WorkContext, assignees, register_source


def handin_listing(session: Session, ctx: WorkContext) -> Listing:
    """Hand-ins of this office not yet handled: the envelope to confirm, then the handling to record."""
    query = (select(HandIn.submission_id).join(Submission, Submission.id == HandIn.submission_id)
             .where(Submission.office_id == ctx.office_id, Submission.kind == SubmissionKind.HAND_IN,
                    HandIn.state != HandInState.HANDLED))
    return Listing(query=query, ref=HandIn.submission_id, received=HandIn.registered_at,
                   department_id=Submission.department_id, status=HandIn.state, waiting=true())


def handin_details(session: Session, ctx: WorkContext, refs: list[str]) -> list[InboxItem]:
    rows = session.execute(
        select(HandIn.submission_id, HandIn.registered_at, HandIn.state, Submission.department_id, Department.name)
        .join(Submission, Submission.id == HandIn.submission_id)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(HandIn.submission_id.in_(refs))  # the office's own, from its listing
    ).all()
    assigned = assignees(session, "handin", refs)
    return [
        InboxItem(kind="handin", ref=ref, url=f"/office/handins/{ref}", received=registered_at,
                  department_id=department_id, department=name or "", category=None, status=state.value,
                  status_label=HANDIN_STATE[state.value], finished=False, assignee_id=assigned.get(ref))
        for ref, registered_at, state, department_id, name in rows
    ]


def _handin_of(session: Session, ref: str, office_id: int) -> bool:
    found = session.scalar(select(Submission.office_id).join(HandIn, HandIn.submission_id == Submission.id)
                           .where(Submission.id == ref))
    return found == office_id


def _replies_owed(office_id: int) -> Listing:
    """Reports whose reporter wrote back after the office's last message: the office owes an answer."""
    last_answer = (
        select(Message.submission_id, func.max(Message.seq).label("seq"), func.max(Message.created_hour).label("at"))
        .where(Message.kind == MessageKind.ANSWER).group_by(Message.submission_id).subquery()
    )
    last_office = (
        select(Message.submission_id, func.max(Message.seq).label("seq"))
        .where(Message.kind != MessageKind.ANSWER).group_by(Message.submission_id).subquery()
    )
    query = (select(Submission.id).join(last_answer, last_answer.c.submission_id == Submission.id)
             .outerjoin(last_office, last_office.c.submission_id == Submission.id)
             .where(Submission.office_id == office_id,
                    (last_office.c.seq.is_(None)) | (last_office.c.seq < last_answer.c.seq)))
    return Listing(query=query, ref=Submission.id, received=last_answer.c.at, department_id=Submission.department_id,
                   status=literal("answered", String), waiting=true())


def reply_listing(session: Session, ctx: WorkContext) -> Listing:
    return _replies_owed(ctx.office_id)


def reply_details(session: Session, ctx: WorkContext, refs: list[str]) -> list[InboxItem]:
    listing = _replies_owed(ctx.office_id)
    rows = session.execute(
        listing.query.with_only_columns(Submission.id, listing.received, Submission.department_id,
                                        Submission.identity_envelope.is_not(None), Department.name)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.id.in_(refs))
    ).all()
    assigned = assignees(session, "reply", refs)
    return [
        InboxItem(kind="reply", ref=ref, url=f"/office/submissions/{ref}", received=at, department_id=department_id,
                  department=name or "", category=None, status="answered", status_label="举报人补充", finished=False,
                  real_name=real_name, assignee_id=assigned.get(ref))
        for ref, at, department_id, real_name, name in rows
    ]


def _reply_of(session: Session, ref: str, office_id: int) -> bool:
    return session.scalar(select(Submission.office_id).where(Submission.id == ref)) == office_id


def rating_alert_listing(session: Session, ctx: WorkContext) -> Listing:
    """Rating alerts not yet handled; their answers stay sealed until the alerts page opens them."""
    query = select(RatingAlert.id).where(RatingAlert.office_id == ctx.office_id,
                                         RatingAlert.status == AlertStatus.NEW)
    return Listing(query=query, ref=RatingAlert.id, received=RatingAlert.created_hour,
                   department_id=RatingAlert.department_id, status=RatingAlert.status, waiting=true())


def rating_alert_details(session: Session, ctx: WorkContext, refs: list[str]) -> list[InboxItem]:
    rows = session.execute(
        select(RatingAlert.id, RatingAlert.created_hour, RatingAlert.department_id, Department.name)
        .outerjoin(Department, Department.id == RatingAlert.department_id)
        .where(RatingAlert.id.in_(refs))  # the office's own, from its listing
    ).all()
    assigned = assignees(session, "rating_alert", refs)
    return [
        InboxItem(kind="rating_alert", ref=ref, url="/office/ratings/alerts", received=created_hour,
                  department_id=department_id, department=name or "", category=None, status="new",
                  status_label="评价线索", finished=False, assignee_id=assigned.get(ref))
        for ref, created_hour, department_id, name in rows
    ]


def _rating_alert_of(session: Session, ref: str, office_id: int) -> bool:
    return session.scalar(select(RatingAlert.office_id).where(RatingAlert.id == ref)) == office_id


register_source("handin", "红包上缴登记", listing=handin_listing, details=handin_details, owns=_handin_of)
register_source("rating_alert", "评价线索", listing=rating_alert_listing, details=rating_alert_details,
                owns=_rating_alert_of)
register_source("reply", "举报人补充", listing=reply_listing, details=reply_details, owns=_reply_of)
