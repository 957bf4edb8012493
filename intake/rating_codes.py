"""One-time rating codes for settlement and discharge slips: 12 digits, kept only as a keyed hash, used once."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import unicodedata

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from crypto import hkdf
from intake.rating_models import RatingCode, RatingCodeBatch

DIGITS = 12
GROUP = 4


@functools.lru_cache(maxsize=4)
def code_pepper(deployment_secret: bytes) -> bytes:
    """The HMAC key of code hashes: outside the database, so a stolen database alone gives nothing to guess against."""
    return hkdf(deployment_secret, info=b"hip-rating-code-v1")


def generate_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def format_code(code: str) -> str:
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(typed: str) -> str | None:
    """The 12 digits of a typed code (spaces, dashes and full-width digits forgiven), or None."""
    cleaned = unicodedata.normalize("NFKC", typed)
    cleaned = "".join(ch for ch in cleaned if not ch.isspace() and ch not in "-‐–—_.")
    if len(cleaned) != DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
        return None
    return cleaned


def code_hash(pepper: bytes, code: str) -> bytes:
    return hmac.new(pepper, b"rating-code:" + code.encode("ascii"), hashlib.sha256).digest()


def store_codes(session: Session, *, batch: RatingCodeBatch, pepper: bytes, size: int) -> list[str]:
    """Create `size` fresh codes for a batch (a collision with any live code is drawn again); return them."""
    session.flush()
    codes: list[str] = []
    hashes: set[bytes] = set()
    while len(codes) < size:
        code = generate_code()
        digest = code_hash(pepper, code)
        if digest in hashes or session.get(RatingCode, digest) is not None:
            continue
        hashes.add(digest)
        codes.append(code)
    session.add_all(RatingCode(code_hash=h, batch_id=batch.id) for h in hashes)
    return codes


def consume(session: Session | Connection, *, pepper: bytes, code: str, hospital_id: int) -> bool:
    """Use a code of this hospital once. Deleting the row is the check: of two requests racing with the same
    code, only one deletes it (on SQLite and PostgreSQL alike)."""
    live_batches = select(RatingCodeBatch.id).where(
        RatingCodeBatch.hospital_id == hospital_id, RatingCodeBatch.voided_at.is_(None)
    )
    batch_id = session.execute(
        delete(RatingCode)
        .where(RatingCode.code_hash == code_hash(pepper, code), RatingCode.batch_id.in_(live_batches))
        .returning(RatingCode.batch_id)
    ).scalar_one_or_none()
    if batch_id is None:
        return False
    session.execute(
        update(RatingCodeBatch).where(RatingCodeBatch.id == batch_id).values(used_count=RatingCodeBatch.used_count + 1)
    )
    return True
