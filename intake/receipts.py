"""Receipt codes: issued once with a reporter key pair, found again by their peppered Argon2id lookup hash.

The Argon2id call is the costly step of a report: `prepare_receipt` and `derive_receipt_keys` run it once and
must be called from a worker thread; storing and finding are short database operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crypto import (
    Argon2Params,
    PrivateKey,
    ReceiptCode,
    ReceiptKeys,
    context,
    derive_receipt_keys,
    generate_private_key,
    generate_receipt,
    hkdf,
    load_private_key,
    private_key_bytes,
    public_key_bytes,
    unwrap_with_key,
    wrap_with_key,
)
from intake.models import Receipt


@dataclass(frozen=True)
class PreparedReceipt:
    """A fresh receipt code and the reporter key pair it wraps, ready to be stored with its submission."""

    code: ReceiptCode
    lookup: bytes
    reporter_public_key: bytes
    wrapped_reporter_key: bytes

    def __repr__(self) -> str:
        return "PreparedReceipt(code='********')"


def _reporter_key_context(lookup: bytes) -> bytes:
    return context("reporter-key", lookup.hex())


def prepare_receipt(*, pepper: bytes, params: Argon2Params) -> PreparedReceipt:
    """Draw a code, derive its lookup hash and wrapping key (one Argon2id), and wrap a new reporter key."""
    code = generate_receipt()
    keys = derive_receipt_keys(code, pepper=pepper, params=params)
    reporter = generate_private_key()
    return PreparedReceipt(
        code=code,
        lookup=keys.lookup,
        reporter_public_key=public_key_bytes(reporter.public_key()),
        wrapped_reporter_key=wrap_with_key(
            keys.wrap_key, private_key_bytes(reporter), associated_data=_reporter_key_context(keys.lookup)
        ),
    )


def store_receipt(session: Session, prepared: PreparedReceipt, *, submission_id: str) -> Receipt:
    row = Receipt(
        lookup=prepared.lookup,
        submission_id=submission_id,
        reporter_public_key=prepared.reporter_public_key,
        wrapped_reporter_key=prepared.wrapped_reporter_key,
    )
    session.add(row)
    return row


def find_receipt(session: Session, keys: ReceiptKeys) -> Receipt | None:
    """The receipt whose code produced these keys, or None."""
    return session.get(Receipt, keys.lookup)


def open_reporter_key(receipt: Receipt, keys: ReceiptKeys) -> PrivateKey:
    """The reporter's private key: it opens the office's replies, and only the code's holder can derive it."""
    raw = unwrap_with_key(
        keys.wrap_key, receipt.wrapped_reporter_key, associated_data=_reporter_key_context(keys.lookup)
    )
    return load_private_key(raw)


def receipt_pepper(secret: bytes) -> bytes:
    """The pepper that salts every lookup hash, derived from the deployment secret (never in the database)."""
    return hkdf(secret, info=b"hip-receipt-pepper-v1")
