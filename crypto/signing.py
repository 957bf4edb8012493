"""Ed25519 signatures (certificates, exported chain heads)."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from crypto.errors import KeyFormatError, SignatureError

SigningKey = Ed25519PrivateKey

KEY_LENGTH = 32
SIGNATURE_LENGTH = 64


def generate_signing_key() -> SigningKey:
    return Ed25519PrivateKey.generate()


def signing_key_bytes(key: SigningKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def load_signing_key(raw: bytes) -> SigningKey:
    if len(raw) != KEY_LENGTH:
        raise KeyFormatError("signing key is not 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def verify_key_bytes(key: SigningKey) -> bytes:
    """Return the 32-byte raw public key."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(key: SigningKey, message: bytes) -> bytes:
    return key.sign(message)


def verify_signature(public_raw: bytes, message: bytes, signature: bytes) -> None:
    """Return if the signature is valid; raise SignatureError for anything else."""
    if len(public_raw) != KEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        raise SignatureError("signature does not verify: public key or signature has the wrong length")
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError) as error:
        raise SignatureError("signature does not verify for this message and public key") from error
