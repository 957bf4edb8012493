"""What the follow-up page (/follow) shows for a hand-in, and the certificate download it offers.

The follow-up page finds the submission with the receipt code and opens the reporter key; for kind "handin" it
calls `handin_status_for_follow_up` and includes templates/intake/follow/_handin.html with the result as `handin`.
The certificate PDF was sealed to that reporter key when the office signed it, so only the code's holder opens it:
`certificate_for_follow_up` returns it, `certificate_response` sends it. (Wiring into /follow: see the module
docstring of intake/handin_routes.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from crypto import PrivateKey, context, open_envelope
from intake.handin_models import HandIn, HandInCertificate, HandInState
from intake.workdays import china_text


@dataclass(frozen=True)
class HandInStatus:
    """Plain facts of a registration, as its staff member sees them on the follow-up page."""

    submission_id: str
    registration_number: str
    registered_at: str  # Beijing time, to the second
    received_on: date
    late: bool
    working_days: int
    deadline_days: int
    state: str  # a key of intake.labels.HANDIN_STATE
    handling: str | None  # a key of intake.labels.HANDLING
    handled_on: date | None
    certificate_available: bool
    certificate_issued_at: str


def handin_status_for_follow_up(session: Session, submission_id: str) -> HandInStatus | None:
    """The status of one hand-in (None if the submission is not one); needs no key."""
    handin = session.get(HandIn, submission_id)
    if handin is None:
        return None
    certificate = _current_certificate(session, submission_id)
    return HandInStatus(
        submission_id=submission_id,
        registration_number=handin.registration_number,
        registered_at=china_text(handin.registered_at),
        received_on=handin.received_on,
        late=handin.late,
        working_days=handin.working_days,
        deadline_days=handin.deadline_days,
        state=handin.state.value,
        handling=handin.handling.value if handin.handling else None,
        handled_on=handin.handled_on,
        certificate_available=certificate is not None and handin.state is not HandInState.REGISTERED,
        certificate_issued_at=china_text(certificate.issued_at) if certificate else "",
    )


def _current_certificate(session: Session, submission_id: str) -> HandInCertificate | None:
    return session.scalar(
        select(HandInCertificate).where(HandInCertificate.submission_id == submission_id,
                                        HandInCertificate.superseded_at.is_(None),
                                        HandInCertificate.pdf_for_staff.is_not(None))
    )


def staff_pdf_context(submission_id: str, certificate_id: str) -> bytes:
    """Associated data of the PDF sealed to the receipt's key (the office seals with the same)."""
    return context("handin-certificate-pdf", submission_id, certificate_id)


@dataclass(frozen=True)
class CertificateFile:
    filename: str
    pdf: bytes


def certificate_for_follow_up(session: Session, *, submission_id: str,
                              reporter_key: PrivateKey) -> CertificateFile | None:
    """The newest certificate of a confirmed hand-in, opened with the reporter key from the receipt code."""
    handin = session.get(HandIn, submission_id)
    certificate = _current_certificate(session, submission_id)
    if handin is None or certificate is None or certificate.pdf_for_staff is None:
        return None
    pdf = open_envelope(reporter_key, certificate.pdf_for_staff,
                        associated_data=staff_pdf_context(submission_id, certificate.id))
    return CertificateFile(filename=f"{handin.registration_number}.pdf", pdf=pdf)


def certificate_response(certificate: CertificateFile) -> Response:
    """Send a certificate as a download (never cached: the strict headers add no-store)."""
    name = quote(f"上缴凭证-{certificate.filename}")
    return Response(certificate.pdf, media_type="application/pdf", headers={
        "content-disposition": f"attachment; filename=\"{certificate.filename}\"; filename*=UTF-8''{name}",
    })
