"""P-256 key pairs for sealing: generation, raw encodings and key ids."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from crypto.errors import KeyFormatError

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey

PUBLIC_KEY_LENGTH = 65
PRIVATE_KEY_LENGTH = 32
KEY_ID_LENGTH = 8

# Order of the P-256 group: a private scalar must lie in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def generate_private_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _require_p256(curve: ec.EllipticCurve) -> None:
    if not isinstance(curve, ec.SECP256R1):
        raise KeyFormatError(f"key is on curve {curve.name}, but only P-256 (secp256r1) is supported")


def public_key_bytes(key: PublicKey) -> bytes:
    """Return the 65-byte uncompressed X9.62 point."""
    _require_p256(key.curve)
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def load_public_key(raw: bytes) -> PublicKey:
    if len(raw) != PUBLIC_KEY_LENGTH or raw[0] != 0x04:
        raise KeyFormatError("public key is not a 65-byte uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError as error:
        raise KeyFormatError("public key is not a point on the P-256 curve") from error


def private_key_bytes(key: PrivateKey) -> bytes:
    """Return the 32-byte big-endian private scalar."""
    _require_p256(key.curve)
    return key.private_numbers().private_value.to_bytes(PRIVATE_KEY_LENGTH, "big")


def load_private_key(raw: bytes) -> PrivateKey:
    if len(raw) != PRIVATE_KEY_LENGTH:
        raise KeyFormatError("private key is not a 32-byte P-256 scalar")
    value = int.from_bytes(raw, "big")
    if not 1 <= value < _P256_ORDER:
        raise KeyFormatError("private key scalar is out of range for P-256")
    try:
        return ec.derive_private_key(value, ec.SECP256R1())
    except ValueError as error:
        raise KeyFormatError("private key scalar is not valid for P-256") from error


def key_id(key: PublicKey) -> bytes:
    """Return the first 8 bytes of SHA-256 over the uncompressed public point."""
    return hashlib.sha256(public_key_bytes(key)).digest()[:KEY_ID_LENGTH]
