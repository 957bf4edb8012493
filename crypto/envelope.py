"""Sealed envelopes (version 1): ECDH P-256 + HKDF-SHA256 + AES-256-GCM over a padded payload.

Wire format: 0x01 | key_id(8) | ephemeral_public(65) | nonce(12) | ciphertext+tag(16).
"""

from __future__ import annotations

import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionError, FormatError, KeyFormatError
from crypto.kdf import hkdf
from crypto.keys import (
    KEY_ID_LENGTH,
    PUBLIC_KEY_LENGTH,
    PrivateKey,
    PublicKey,
    key_id,
    load_public_key,
    public_key_bytes,
)

VERSION = 1
NONCE_LENGTH = 12
TAG_LENGTH = 16
HEADER_LENGTH = 1 + KEY_ID_LENGTH + PUBLIC_KEY_LENGTH + NONCE_LENGTH  # 86
_INFO_PREFIX = b"hip-envelope-v1"
_CONTEXT_PREFIX = b"hip-ad-v1"
_LENGTH_PREFIX = 4
_MIN_BUCKET = 256
_LARGE_STEP = 65536
_MAX_PLAINTEXT = 2**32 - 1 - _LENGTH_PREFIX


def context(*fields: str) -> bytes:
    """Build canonical associated data: a prefix, then each field as 2-byte length + UTF-8."""
    parts = [_CONTEXT_PREFIX]
    for field in fields:
        encoded = field.encode("utf-8")
        if len(encoded) > 0xFFFF:
            raise ValueError("a context field must encode to at most 65535 bytes")
        parts.append(len(encoded).to_bytes(2, "big") + encoded)
    return b"".join(parts)


def _bucket(framed_size: int) -> int:
    """Round a framed size up: powers of two from 256 to 64 KiB, then multiples of 64 KiB."""
    if framed_size <= _MIN_BUCKET:
        return _MIN_BUCKET
    if framed_size <= _LARGE_STEP:
        return 1 << (framed_size - 1).bit_length()
    return -(-framed_size // _LARGE_STEP) * _LARGE_STEP


def _is_bucket(size: int) -> bool:
    return size >= _MIN_BUCKET and _bucket(size) == size


def _frame(plaintext: bytes) -> bytes:
    if len(plaintext) > _MAX_PLAINTEXT:
        raise ValueError("plaintext is too large for one envelope")
    framed = len(plaintext).to_bytes(_LENGTH_PREFIX, "big") + plaintext
    return framed + bytes(_bucket(len(framed)) - len(framed))


def _unframe(framed: bytes) -> bytes:
    length = int.from_bytes(framed[:_LENGTH_PREFIX], "big")
    end = _LENGTH_PREFIX + length
    # Both checks only fail if the sealer itself misbehaved; GCM already vouched for the bytes.
    if length > len(framed) - _LENGTH_PREFIX or any(framed[end:]):
        raise DecryptionError("envelope opens but its padding is invalid")
    return framed[_LENGTH_PREFIX:end]


def _derive_key(shared_secret: bytes, recipient_id: bytes, ephemeral_public: bytes) -> bytes:
    return hkdf(shared_secret, info=_INFO_PREFIX + recipient_id + ephemeral_public)


def _seal_with(
    ephemeral: PrivateKey,
    nonce: bytes,
    recipient: PublicKey,
    plaintext: bytes,
    *,
    associated_data: bytes,
) -> bytes:
    """Seal with a given ephemeral key and nonce; only for seal() and known-answer tests."""
    if len(nonce) != NONCE_LENGTH:
        raise ValueError("nonce must be 12 bytes")
    recipient_id = key_id(recipient)
    ephemeral_public = public_key_bytes(ephemeral.public_key())
    header = bytes([VERSION]) + recipient_id + ephemeral_public + nonce
    key = _derive_key(ephemeral.exchange(ec.ECDH(), recipient), recipient_id, ephemeral_public)
    return header + AESGCM(key).encrypt(nonce, _frame(plaintext), header + associated_data)


def seal(recipient: PublicKey, plaintext: bytes, *, associated_data: bytes) -> bytes:
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    return _seal_with(
        ephemeral, os.urandom(NONCE_LENGTH), recipient, plaintext, associated_data=associated_data
    )


def _check_shape(envelope: bytes) -> None:
    if len(envelope) < HEADER_LENGTH + _MIN_BUCKET + TAG_LENGTH:
        raise FormatError("envelope is truncated: it is shorter than the smallest sealed envelope")
    if envelope[0] != VERSION:
        raise FormatError(f"envelope has unknown version {envelope[0]}")
    if not _is_bucket(len(envelope) - HEADER_LENGTH - TAG_LENGTH):
        raise FormatError("envelope length is not a padded size: it was truncated or extended")


def envelope_key_id(envelope: bytes) -> bytes:
    """Return the 8-byte id of the key the envelope is sealed to."""
    _check_shape(envelope)
    return envelope[1 : 1 + KEY_ID_LENGTH]


def open_envelope(private_key: PrivateKey, envelope: bytes, *, associated_data: bytes) -> bytes:
    _check_shape(envelope)
    recipient_id = envelope[1 : 1 + KEY_ID_LENGTH]
    if not hmac.compare_digest(recipient_id, key_id(private_key.public_key())):
        raise DecryptionError(f"envelope is sealed to key {recipient_id.hex()}, not to the private key given")
    ephemeral_public = envelope[1 + KEY_ID_LENGTH : 1 + KEY_ID_LENGTH + PUBLIC_KEY_LENGTH]
    nonce = envelope[HEADER_LENGTH - NONCE_LENGTH : HEADER_LENGTH]
    try:
        ephemeral = load_public_key(ephemeral_public)
    except KeyFormatError as error:
        raise FormatError("envelope's ephemeral key is not a valid P-256 point") from error
    key = _derive_key(private_key.exchange(ec.ECDH(), ephemeral), recipient_id, ephemeral_public)
    try:
        framed = AESGCM(key).decrypt(
            nonce, envelope[HEADER_LENGTH:], envelope[:HEADER_LENGTH] + associated_data
        )
    except InvalidTag as error:
        raise DecryptionError(
            "envelope does not open: wrong key, wrong associated data or tampered ciphertext"
        ) from error
    return _unframe(framed)
