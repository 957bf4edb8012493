"""The office's side of a report's conversation: identity on demand, replies, status and result, files.

Every action is an audit event. Replies and results are sealed to the reporter's key (from the receipt) and to
the office key; the reporter's answers open with the office key the session holds.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import load_public_key
from intake.attachments import open_attachment
from intake.conversation import MessageKind, OpenedMessage, add_message, messages_of, office_context, opened_with
from intake.db import utcnow
from intake.labels import STATUS
from intake.models import Attachment, Hospital, Receipt, Submission
from intake.reports import current_office_key
from intake.sealing import decode_payload, identity_context, submission_context
from portal import audit
from portal.auth import CurrentOfficer
from portal.deadlines import NoticeKind, record_notice
from portal.submissions import OpenedSubmission

STATUSES = tuple(STATUS)
MAX_TEXT = 5000


class CaseError(Exception):
    """An action the office cannot take on this submission (no receipt, unknown status, empty reply)."""


@dataclass(frozen=True)
class CaseFile:
    id: str
    name: str
    type: str
    size: int
    source: str  # "report" or "answer"


@dataclass(frozen=True)
class Case:
    hospital_name: str
    messages: list[OpenedMessage]
    files: list[CaseFile]
    can_reply: bool


def _submission(session: Session, officer: CurrentOfficer, submission_id: str) -> Submission:
    row = session.scalar(select(Submission).where(Submission.id == submission_id,
                                                  Submission.office_id == officer.office_id))
    if row is None:
        raise LookupError("no such submission in this office")
    return row


def _office_messages(session: Session, officer: CurrentOfficer, submission_id: str) -> list[OpenedMessage]:
    return [opened_with(m, officer.keyring.open(m.for_office, associated_data=office_context(m)))
            for m in messages_of(session, submission_id)]


def _files(payload: dict[str, Any], messages: list[OpenedMessage]) -> list[tuple[CaseFile, str]]:
    """Every attachment described in the report or the reporter's answers, with its file key."""
    found: list[tuple[CaseFile, str]] = []
    sources = [("report", payload.get("attachments", []))]
    sources += [("answer", m.attachments) for m in messages if m.kind is MessageKind.ANSWER]
    for source, entries in sources:
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("key"), str):
                size = entry.get("size", 0)
                found.append((CaseFile(id=entry["id"], name=str(entry.get("name", "")),
                                       type=str(entry.get("type", "")),
                                       size=size if isinstance(size, int) and size >= 0 else 0,
                                       source=source), entry["key"]))
    return found


def case_of(session: Session, *, officer: CurrentOfficer, opened: OpenedSubmission) -> Case:
    """The conversation and files of a submission the officer has just opened."""
    submission = _submission(session, officer, opened.row.id)
    messages = _office_messages(session, officer, submission.id)
    hospital = session.get(Hospital, submission.hospital_id)
    has_receipt = session.scalar(select(Receipt.lookup).where(Receipt.submission_id == submission.id)) is not None
    return Case(hospital_name=hospital.name if hospital else "", messages=messages,
                files=[f for f, _ in _files(opened.payload, messages)], can_reply=has_receipt)


def open_identity(session: Session, *, officer: CurrentOfficer, submission_id: str) -> dict[str, str]:
    """The reporter's real name and contact: opened only on this explicit action, which is logged."""
    submission = _submission(session, officer, submission_id)
    if submission.identity_envelope is None:
        return {}
    where = {"kind": submission.kind, "hospital_id": submission.hospital_id,
             "department_id": submission.department_id}
    identity = decode_payload(officer.keyring.open(submission.identity_envelope,
                                                   associated_data=identity_context(**where)))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="open_identity",
                 target=submission.id)
    return {k: str(v) for k, v in identity.items() if k in ("real_name", "contact")}


def _seal_to_both(session: Session, submission: Submission, kind: MessageKind, payload: dict[str, Any],
                  status: str = "") -> None:
    receipt = session.scalar(select(Receipt).where(Receipt.submission_id == submission.id))
    if receipt is None:
        raise CaseError("this submission has no receipt: nobody could read a reply")
    add_message(session, submission=submission, kind=kind, payload=payload, status=status,
                office_key=load_public_key(current_office_key(session, submission.office_id).public_key),
                reporter_key=load_public_key(receipt.reporter_public_key))


def reply(session: Session, *, officer: CurrentOfficer, submission_id: str, text: str) -> None:
    """Write to the reporter; they read it with their receipt code."""
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise CaseError("a reply needs text, at most 5000 characters")
    submission = _submission(session, officer, submission_id)
    _seal_to_both(session, submission, MessageKind.REPLY, {"text": text})
    if submission.identity_envelope is not None:
        # A reply read on the follow-up page is the acceptance notice a real-name reporter is owed.
        record_notice(session, submission.id, NoticeKind.ACCEPTANCE, utcnow(), officer_id=officer.id)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="reply", target=submission.id)


def set_status(session: Session, *, officer: CurrentOfficer, submission_id: str, status: str,
               result_text: str) -> None:
    """Move the report to a status; an optional result text is what the reporter is told with it."""
    if status not in STATUSES:
        raise CaseError("unknown status")
    result_text = result_text.strip()
    if len(result_text) > MAX_TEXT:
        raise CaseError("the result text is too long")
    submission = _submission(session, officer, submission_id)
    before = submission.status
    submission.status = status
    if result_text:
        _seal_to_both(session, submission, MessageKind.RESULT, {"text": result_text, "status": status},
                      status=status)
        if submission.identity_envelope is not None:
            # Telling the reporter the outcome is a notice too: acceptance if none was given, else the result.
            record_notice(session, submission.id, NoticeKind.ACCEPTANCE, utcnow(), officer_id=officer.id)
            if status == "closed":
                record_notice(session, submission.id, NoticeKind.RESULT, utcnow(), officer_id=officer.id)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="status_change",
                 target=submission.id, details={"from": before, "to": status, "result_given": int(bool(result_text))})


def attachment_file(session: Session, *, officer: CurrentOfficer, submission_id: str,
                    attachment_id: str) -> tuple[CaseFile, Iterator[bytes]] | None:
    """Decrypt one attachment (its key comes from the opened report or answer); the read is logged."""
    submission = _submission(session, officer, submission_id)
    payload = decode_payload(officer.keyring.open(submission.envelope, associated_data=submission_context(
        kind=submission.kind, hospital_id=submission.hospital_id, department_id=submission.department_id)))
    messages = _office_messages(session, officer, submission.id)
    match = next(((f, k) for f, k in _files(payload, messages) if f.id == attachment_id), None)
    row = session.get(Attachment, attachment_id)
    if match is None or row is None or row.submission_id != submission.id:
        return None
    try:
        key = base64.b64decode(match[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="open_attachment",
                 target=submission.id, details={"attachment": attachment_id})
    return match[0], open_attachment(session, attachment=row, key=key)
