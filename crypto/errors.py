"""The one error tree of the crypto package: every failure a caller must handle is a CryptoError."""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by the crypto package."""


class DecryptionError(CryptoError):
    """Ciphertext does not open: wrong key, wrong associated data or tampered bytes."""


class FormatError(CryptoError):
    """Bytes are malformed, truncated or carry an unknown version."""


class KeyFormatError(CryptoError):
    """A key cannot be parsed (wrong length, not on the curve, out of range)."""


class SignatureError(CryptoError):
    """A signature does not verify against the message and public key."""


class ReceiptFormatError(CryptoError):
    """A typed receipt code is not 20 digits."""


class ChainError(CryptoError):
    """The audit hash chain is broken; `index` is the first event that does not match."""

    def __init__(self, index: int) -> None:
        super().__init__(
            f"audit chain is broken at event {index}: its stored hash does not match the recomputed one"
        )
        self.index = index
