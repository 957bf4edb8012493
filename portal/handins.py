"""The office's side of the hand-in register: list without a key, open, confirm receipt of the envelope, record
its handling, and issue a signed certificate at each step. Every step is an audit event."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto import context, load_public_key, seal, sign
from intake.certificates import (
    canonical_statement,
    registered_at_text,
    signed_message,
    statement_digest,
    verification_path,
)
from intake.handin_follow import staff_pdf_context
from intake.handin_models import SUBMISSION_STATUS, HandIn, HandInCertificate, HandInState, Handling
from intake.models import Department, Hospital, Office, Receipt, Submission
from intake.sealing import decode_payload, seal_payload, submission_context
from portal import audit
from portal.auth import CurrentOfficer
from portal.handin_certificate_pdf import render_certificate
from portal.keyring import current_key

STATEMENT_VERSION = 1


class HandInNotFound(Exception):
    """No hand-in of this id in the officer's office."""


class WrongStep(Exception):
    """The step does not fit the registration's state (confirming twice, handling before confirmation)."""


@dataclass(frozen=True)
class HandInRow:
    submission_id: str
    number: str
    department: str
    registered_at: datetime
    received_on: date
    form: str
    state: HandInState
    late: bool
    working_days: int
    deadline_days: int
    handling: str | None


def _row(handin: HandIn, department: str | None) -> HandInRow:
    return HandInRow(submission_id=handin.submission_id, number=handin.registration_number,
                     department=department or "", registered_at=handin.registered_at,
                     received_on=handin.received_on, form=handin.form.value, state=handin.state,
                     late=handin.late, working_days=handin.working_days, deadline_days=handin.deadline_days,
                     handling=handin.handling.value if handin.handling else None)


def _query(office_id: int):  # type: ignore[no-untyped-def]
    return (select(HandIn, Department.name)
            .join(Submission, Submission.id == HandIn.submission_id)
            .outerjoin(Department, Department.id == Submission.department_id)
            .where(Submission.office_id == office_id))


def list_handins(session: Session, *, office_id: int, state: HandInState | None = None) -> list[HandInRow]:
    """Oldest waiting first for open work; newest first for the full register. No key needed."""
    query = _query(office_id)
    if state is not None:
        query = query.where(HandIn.state == state).order_by(HandIn.registered_at)
    else:
        query = query.order_by(HandIn.registered_at.desc())
    return [_row(handin, name) for handin, name in session.execute(query.limit(500))]


def count_by_state(session: Session, *, office_id: int) -> dict[str, int]:
    counts = {state.value: 0 for state in HandInState}
    for handin, _ in session.execute(_query(office_id)):
        counts[handin.state.value] += 1
    return counts


@dataclass(frozen=True)
class OpenedHandIn:
    row: HandInRow
    fields: dict[str, Any]
    confirmation: dict[str, Any]
    handling: dict[str, Any]
    handled_on: date | None
    confirmed_at: datetime | None
    certificates: list[HandInCertificate]


def _load(session: Session, officer: CurrentOfficer, submission_id: str) -> tuple[HandIn, Submission, str]:
    found = session.execute(
        select(HandIn, Submission, Department.name)
        .join(Submission, Submission.id == HandIn.submission_id)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(HandIn.submission_id == submission_id, Submission.office_id == officer.office_id)
        .with_for_update(of=HandIn)
    ).first()
    if found is None:
        raise HandInNotFound(submission_id)
    return found[0], found[1], found[2] or ""


def _ad(submission: Submission, part: str) -> bytes:
    base = submission_context(kind=submission.kind, hospital_id=submission.hospital_id,
                              department_id=submission.department_id)
    return base if part == "details" else base + context("handin-office-note", part, submission.id)


def _open(officer: CurrentOfficer, submission: Submission, envelope: bytes | None, part: str) -> dict[str, Any]:
    if envelope is None:
        return {}
    return decode_payload(officer.keyring.open(envelope, associated_data=_ad(submission, part)))


def _seal_note(session: Session, submission: Submission, note: dict[str, Any], part: str) -> bytes:
    return seal_payload(current_key(session, submission.office_id), note, associated_data=_ad(submission, part))


def open_handin(session: Session, *, officer: CurrentOfficer, submission_id: str) -> OpenedHandIn:
    """Decrypt a registration and the office's own notes on it; record the read."""
    handin, submission, department = _load(session, officer, submission_id)
    fields = _open(officer, submission, submission.envelope, "details").get("fields", {})
    certificates = list(session.scalars(
        select(HandInCertificate).where(HandInCertificate.submission_id == submission_id)
        .order_by(HandInCertificate.issued_at.desc())
    ))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="open_handin",
                 target=submission_id)
    return OpenedHandIn(row=_row(handin, department), fields=fields,
                        confirmation=_open(officer, submission, handin.confirmation_envelope, "confirmation"),
                        handling=_open(officer, submission, handin.handling_envelope, "handling"),
                        handled_on=handin.handled_on, confirmed_at=handin.confirmed_at,
                        certificates=certificates)


def confirm_receipt(session: Session, *, officer: CurrentOfficer, submission_id: str, note: str, now: datetime,
                    public_url: str) -> HandInCertificate:
    """The physical envelope or item arrived at the office: record it and issue the first certificate."""
    handin, submission, _ = _load(session, officer, submission_id)
    if handin.state is not HandInState.REGISTERED:
        raise WrongStep("already confirmed")
    handin.state = HandInState.CONFIRMED
    handin.confirmed_at = now
    handin.confirmed_by = officer.id
    handin.confirmation_envelope = _seal_note(session, submission, {"note": note, "officer": officer.display_name},
                                              "confirmation")
    submission.status = SUBMISSION_STATUS[handin.state]
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="handin_confirmed",
                 target=submission_id, now=now)
    return issue_certificate(session, officer=officer, handin=handin, submission=submission, now=now,
                             public_url=public_url)


@dataclass(frozen=True)
class HandlingRecord:
    handling: Handling
    handled_on: date
    handler: str
    slip_number: str
    note: str


def record_handling(session: Session, *, officer: CurrentOfficer, submission_id: str, record: HandlingRecord,
                    now: datetime, public_url: str) -> HandInCertificate:
    """What was done with it (returned, credited to the deposit with the slip number, handed to finance), by whom
    and when; the certificate is issued anew with the handling and the older one marked superseded."""
    handin, submission, _ = _load(session, officer, submission_id)
    if handin.state is HandInState.REGISTERED:
        raise WrongStep("confirm receipt first")
    handin.state = HandInState.HANDLED
    handin.handling = record.handling
    handin.handled_on = record.handled_on
    handin.handling_recorded_at = now
    handin.handling_recorded_by = officer.id
    handin.handling_envelope = _seal_note(
        session, submission,
        {"handler": record.handler, "slip_number": record.slip_number, "note": record.note,
         "officer": officer.display_name}, "handling")
    submission.status = SUBMISSION_STATUS[handin.state]
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="handin_handled",
                 target=submission_id, details={"handling": record.handling.value}, now=now)
    return issue_certificate(session, officer=officer, handin=handin, submission=submission, now=now,
                             public_url=public_url)


def _statement(session: Session, officer: CurrentOfficer, handin: HandIn, submission: Submission,
               now: datetime) -> dict[str, Any]:
    fields = _open(officer, submission, submission.envelope, "details").get("fields", {})
    handling = _open(officer, submission, handin.handling_envelope, "handling")
    hospital = session.get(Hospital, submission.hospital_id)
    department = session.get(Department, submission.department_id) if submission.department_id else None
    office = session.get(Office, submission.office_id)
    return {
        "v": STATEMENT_VERSION,
        "number": handin.registration_number,
        "registered_at": registered_at_text(handin.registered_at),
        "hospital": hospital.name if hospital else "",
        "office": office.name if office else "",
        "department": department.name if department else "",
        "received_on": handin.received_on.isoformat(),
        "working_days": handin.working_days,
        "deadline_days": handin.deadline_days,
        "late": handin.late,
        "form": handin.form.value,
        "amount": fields.get("amount", ""),
        "items": fields.get("items", ""),
        "quantity": fields.get("quantity"),
        "status": handin.state.value,
        "confirmed_at": registered_at_text(handin.confirmed_at) if handin.confirmed_at else "",
        "handling": handin.handling.value if handin.handling else "",
        "handled_on": handin.handled_on.isoformat() if handin.handled_on else "",
        "slip_number": handling.get("slip_number", ""),
        "issued_at": registered_at_text(now),
        # Secret: without it the plain digest cannot be matched against guessed amounts.
        "nonce": secrets.token_hex(16),
    }


def issue_certificate(session: Session, *, officer: CurrentOfficer, handin: HandIn, submission: Submission,
                      now: datetime, public_url: str) -> HandInCertificate:
    """Sign the statement with the office's Ed25519 key, keep it sealed for the office, and seal the PDF to the
    receipt's key so that the staff member alone downloads it from the follow-up page."""
    office_key = current_key(session, submission.office_id)
    statement = _statement(session, officer, handin, submission, now)
    canonical = canonical_statement(statement)
    digest = statement_digest(canonical)
    signature = sign(officer.keyring.signing_key(office_key),
                     signed_message(number=handin.registration_number, registered_at=handin.registered_at,
                                    digest=digest))
    pdf = render_certificate(statement, signature=signature,
                             verify_url=public_url.rstrip("/") + verification_path(handin.registration_number,
                                                                                   signature))
    session.execute(update(HandInCertificate)
                    .where(HandInCertificate.submission_id == handin.submission_id,
                           HandInCertificate.superseded_at.is_(None))
                    .values(superseded_at=now))
    certificate = HandInCertificate(submission_id=handin.submission_id, office_key_id=office_key.id, issued_at=now,
                                    digest=digest, signature=signature,
                                    statement_for_office=seal(load_public_key(office_key.public_key), canonical,
                                                              associated_data=statement_context(handin)))
    session.add(certificate)
    session.flush()
    receipt = session.scalar(select(Receipt).where(Receipt.submission_id == handin.submission_id))
    if receipt is not None:
        certificate.pdf_for_staff = seal(load_public_key(receipt.reporter_public_key), pdf,
                                         associated_data=staff_pdf_context(handin.submission_id, certificate.id))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="handin_certificate_issued",
                 target=handin.submission_id, details={"status": handin.state.value}, now=now)
    return certificate


def statement_context(handin: HandIn) -> bytes:
    return context("handin-statement", handin.submission_id, handin.registration_number)


def certificate_for_office(session: Session, *, officer: CurrentOfficer, submission_id: str,
                           public_url: str) -> tuple[str, bytes]:
    """The newest certificate as a PDF, rebuilt from its sealed statement and stored signature; recorded."""
    handin, _, _ = _load(session, officer, submission_id)
    certificate = session.scalar(
        select(HandInCertificate).where(HandInCertificate.submission_id == submission_id,
                                        HandInCertificate.superseded_at.is_(None))
    )
    if certificate is None:
        raise WrongStep("no certificate yet")
    canonical = officer.keyring.open(certificate.statement_for_office, associated_data=statement_context(handin))
    statement = decode_payload(canonical)
    pdf = render_certificate(statement, signature=certificate.signature,
                             verify_url=public_url.rstrip("/") + verification_path(handin.registration_number,
                                                                                   certificate.signature))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id,
                 action="handin_certificate_downloaded", target=submission_id)
    return certificate_filename(handin.registration_number), pdf


def certificate_filename(number: str) -> str:
    return f"{number}.pdf"
