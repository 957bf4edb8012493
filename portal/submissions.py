"""The office's view of sealed submissions: listing without a key, opening with one (and an audit event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import Attachment, Department, Submission, SubmissionKind
from intake.sealing import decode_payload, submission_context, tidy_payload
from portal import audit
from portal.auth import CurrentOfficer


@dataclass(frozen=True)
class SubmissionRow:
    id: str
    kind: SubmissionKind
    department: str
    status: str
    created_hour: datetime
    sealed_in_browser: bool
    has_identity: bool


@dataclass(frozen=True)
class OpenedSubmission:
    row: SubmissionRow
    payload: dict[str, Any]
    attachment_count: int


def _row(submission: Submission, department: str | None) -> SubmissionRow:
    return SubmissionRow(
        id=submission.id,
        kind=submission.kind,
        department=department or "",
        status=submission.status,
        created_hour=submission.created_hour,
        sealed_in_browser=submission.sealed_in_browser,
        has_identity=submission.identity_envelope is not None,
    )


def list_for_office(session: Session, *, office_id: int, limit: int = 200, offset: int = 0) -> list[SubmissionRow]:
    """Newest first; only plain workflow fields, no key needed."""
    rows = session.execute(
        select(Submission, Department.name)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.office_id == office_id)
        # Both descending, so that the (office, hour, id) index is walked backwards and nothing is sorted.
        .order_by(Submission.created_hour.desc(), Submission.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_row(submission, name) for submission, name in rows]


def count_for_office(session: Session, *, office_id: int) -> int:
    return int(session.scalar(select(func.count()).where(Submission.office_id == office_id)) or 0)


def open_submission(session: Session, *, officer: CurrentOfficer, submission_id: str) -> OpenedSubmission | None:
    """Decrypt one submission of the officer's office with the session's keys; record the read."""
    found = session.execute(
        select(Submission, Department.name)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.id == submission_id, Submission.office_id == officer.office_id)
    ).first()
    if found is None:
        return None
    submission, department = found
    plaintext = officer.keyring.open(
        submission.envelope,
        associated_data=submission_context(
            kind=submission.kind, hospital_id=submission.hospital_id, department_id=submission.department_id
        ),
    )
    attachments = session.scalar(select(func.count()).where(Attachment.submission_id == submission.id)) or 0
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="open_submission",
                 target=submission.id)
    return OpenedSubmission(row=_row(submission, department), payload=tidy_payload(decode_payload(plaintext)),
                            attachment_count=int(attachments))
