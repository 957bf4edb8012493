"""上缴凭证: the signed statement of a hand-in, and its public verification with the office's verify key.

The office signs `DOMAIN || (number, registered-at) || SHA-256(statement)`, where the statement is canonical
JSON of the registration number, exact registration time, department, form, amount or items, handling and status,
plus a random nonce. Only the digest is plain in the database; the statement itself is sealed. So the public
page checks a signature without any key, and a database reader cannot guess amounts from the digest (the nonce
is secret).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import SignatureError, context, verify_signature
from intake.handin_models import HandIn, HandInCertificate
from intake.models import OfficeKey

DOMAIN = b"hip-handin-certificate-v1\x00"
STATEMENT_VERSION = 1
NUMBER_PATTERN = re.compile(r"^SJ-\d{8}-[2-9A-Z]{6}$")


def canonical_statement(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def statement_digest(canonical: bytes) -> bytes:
    return hashlib.sha256(canonical).digest()


def registered_at_text(registered_at: datetime) -> str:
    return registered_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_message(*, number: str, registered_at: datetime, digest: bytes) -> bytes:
    """What the Ed25519 signature covers: the number and time in the clear (so that the page checks the plain
    columns it shows, and an edited row fails), then the digest of the whole statement."""
    return DOMAIN + context(number, registered_at_text(registered_at)) + digest


def encode_signature(signature: bytes) -> str:
    return base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")


def decode_signature(text: str) -> bytes | None:
    if not text or len(text) > 100 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def verification_path(number: str, signature: bytes) -> str:
    """The QR code's path: a registration number and a signature, nothing personal."""
    return f"/verify/{number}?sig={encode_signature(signature)}"


@dataclass(frozen=True)
class Verification:
    genuine: bool
    registered_at: datetime | None = None
    superseded: bool = False


NOT_GENUINE = Verification(genuine=False)


def verify_certificate(session: Session, *, number: str, signature_text: str) -> Verification:
    """Genuine only if a certificate of this number carries exactly this signature and it verifies."""
    signature = decode_signature(signature_text)
    if signature is None or not NUMBER_PATTERN.match(number):
        return NOT_GENUINE
    found = session.execute(
        select(HandIn, HandInCertificate, OfficeKey)
        .join(HandInCertificate, HandInCertificate.submission_id == HandIn.submission_id)
        .join(OfficeKey, OfficeKey.id == HandInCertificate.office_key_id)
        .where(HandIn.registration_number == number, HandInCertificate.signature == signature)
    ).first()
    if found is None:
        return NOT_GENUINE
    handin, certificate, office_key = found
    try:
        message = signed_message(number=handin.registration_number, registered_at=handin.registered_at,
                                 digest=certificate.digest)
        verify_signature(office_key.verify_key, message, signature)
    except SignatureError:
        return NOT_GENUINE
    return Verification(genuine=True, registered_at=handin.registered_at,
                        superseded=certificate.superseded_at is not None)
