"""Receipt codes: 20 random digits shown in groups of four, typed back leniently, hashed for lookup."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from typing import NewType

from crypto.errors import ReceiptFormatError
from crypto.kdf import Argon2Params, derive_key, hkdf

ReceiptCode = NewType("ReceiptCode", str)

DIGITS = 20
MIN_PEPPER_LENGTH = 16
_ASCII_DIGITS = frozenset("0123456789")
# Separators people type between groups; NFKC has already folded full-width forms (U+3000, U+FF0D).
_SEPARATORS = frozenset("-._\u2010\u2011\u2012\u2013\u2014\u2212\u30fc")
_MAX_TYPED_LENGTH = 200
_NOT_A_RECEIPT = "a receipt code has 20 digits; what was typed is not one"


def generate_receipt() -> ReceiptCode:
    """Return 20 random digits (about 66 bits)."""
    return ReceiptCode(f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}")


def _check(code: str) -> ReceiptCode:
    if len(code) != DIGITS or not set(code) <= _ASCII_DIGITS:
        raise ReceiptFormatError(_NOT_A_RECEIPT)
    return ReceiptCode(code)


def format_receipt(code: ReceiptCode) -> str:
    """Show a code as five groups of four digits."""
    return " ".join(code[i : i + 4] for i in range(0, DIGITS, 4))


def normalise_receipt(typed: str) -> ReceiptCode:
    """Accept spaces, dashes, dots, underscores and full-width digits; return the bare 20 digits."""
    if len(typed) > _MAX_TYPED_LENGTH:
        raise ReceiptFormatError(_NOT_A_RECEIPT)
    folded = unicodedata.normalize("NFKC", typed)
    return _check("".join(ch for ch in folded if not ch.isspace() and ch not in _SEPARATORS))


@dataclass(frozen=True)
class ReceiptKeys:
    lookup: bytes
    wrap_key: bytes

    def __repr__(self) -> str:
        # Keep key bytes out of logs and tracebacks.
        return "ReceiptKeys(lookup=..., wrap_key=...)"


def derive_receipt_keys(code: ReceiptCode, *, pepper: bytes, params: Argon2Params) -> ReceiptKeys:
    """Derive the lookup hash and the wrapping key with one Argon2id call (deterministic per pepper)."""
    if len(pepper) < MIN_PEPPER_LENGTH:
        raise ValueError(f"pepper must be at least {MIN_PEPPER_LENGTH} bytes")
    _check(code)
    salt = hmac.new(pepper, b"hip-receipt-salt-v1", hashlib.sha256).digest()[:16]
    stretched = derive_key(code.encode("ascii"), salt=salt, params=params, length=32)
    return ReceiptKeys(
        lookup=hkdf(stretched, info=b"hip-receipt-lookup-v1"),
        wrap_key=hkdf(stretched, info=b"hip-receipt-wrap-v1"),
    )
