"""Key derivation (Argon2id, HKDF) and key wrapping under a password or a symmetric key."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import DecryptionError, FormatError, KeyFormatError

VERSION = 1
KEY_LENGTH = 32
SALT_LENGTH = 16
NONCE_LENGTH = 12
TAG_LENGTH = 16

# Bounds that keep a tampered blob from asking for absurd work or memory.
MAX_TIME_COST = 64
MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB
MAX_PARALLELISM = 64

_PASSWORD_HEADER = struct.Struct(">BIIB16s12s")  # version, t, m, p, salt, nonce -> 38 bytes


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int = 2
    memory_kib: int = 19456
    parallelism: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.time_cost <= MAX_TIME_COST:
            raise ValueError(f"Argon2 time_cost must be between 1 and {MAX_TIME_COST}")
        if not 1 <= self.parallelism <= MAX_PARALLELISM:
            raise ValueError(f"Argon2 parallelism must be between 1 and {MAX_PARALLELISM}")
        if not 8 * self.parallelism <= self.memory_kib <= MAX_MEMORY_KIB:
            raise ValueError("Argon2 memory_kib must be at least 8 x parallelism and at most 4 GiB")


OWASP_MINIMUM = Argon2Params()
INSECURE_FAST_FOR_TESTS = Argon2Params(time_cost=1, memory_kib=8, parallelism=1)


def derive_key(secret: bytes, *, salt: bytes, params: Argon2Params, length: int = KEY_LENGTH) -> bytes:
    """Stretch a low-entropy secret with Argon2id."""
    try:
        return hash_secret_raw(
            secret,
            salt,
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=length,
            type=Type.ID,
        )
    except HashingError as error:
        raise ValueError(f"Argon2id refused its inputs: {error}") from error


def hkdf(key_material: bytes, *, info: bytes, length: int = KEY_LENGTH) -> bytes:
    """HKDF-SHA256 with no (all-zero) salt."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(key_material)


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_LENGTH:
        raise KeyFormatError("symmetric key is not 32 bytes")
    return AESGCM(key)


def wrap_with_password(secret: bytes, password: str, *, params: Argon2Params) -> bytes:
    salt = os.urandom(SALT_LENGTH)
    nonce = os.urandom(NONCE_LENGTH)
    header = _PASSWORD_HEADER.pack(
        VERSION, params.time_cost, params.memory_kib, params.parallelism, salt, nonce
    )
    key = derive_key(password.encode("utf-8"), salt=salt, params=params)
    return header + AESGCM(key).encrypt(nonce, secret, header)


def unwrap_with_password(wrapped: bytes, password: str) -> bytes:
    if len(wrapped) < _PASSWORD_HEADER.size + TAG_LENGTH:
        raise FormatError("password-wrapped key is truncated")
    version, time_cost, memory_kib, parallelism, salt, nonce = _PASSWORD_HEADER.unpack_from(wrapped)
    if version != VERSION:
        raise FormatError(f"password-wrapped key has unknown version {version}")
    try:
        params = Argon2Params(time_cost=time_cost, memory_kib=memory_kib, parallelism=parallelism)
    except ValueError as error:
        raise FormatError(f"password-wrapped key carries unacceptable Argon2 parameters: {error}") from error
    header = wrapped[: _PASSWORD_HEADER.size]
    key = derive_key(password.encode("utf-8"), salt=salt, params=params)
    try:
        return AESGCM(key).decrypt(nonce, wrapped[_PASSWORD_HEADER.size :], header)
    except InvalidTag as error:
        raise DecryptionError(
            "password-wrapped key does not open: wrong password or tampered bytes"
        ) from error


def wrap_with_key(key: bytes, secret: bytes, *, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_LENGTH)
    return bytes([VERSION]) + nonce + _aead(key).encrypt(nonce, secret, associated_data)


def unwrap_with_key(key: bytes, wrapped: bytes, *, associated_data: bytes) -> bytes:
    aead = _aead(key)
    if len(wrapped) < 1 + NONCE_LENGTH + TAG_LENGTH:
        raise FormatError("wrapped key is truncated")
    if wrapped[0] != VERSION:
        raise FormatError(f"wrapped key has unknown version {wrapped[0]}")
    nonce = wrapped[1 : 1 + NONCE_LENGTH]
    try:
        return aead.decrypt(nonce, wrapped[1 + NONCE_LENGTH :], associated_data)
    except InvalidTag as error:
        raise DecryptionError(
            "wrapped key does not open: wrong key, wrong associated data or tampered bytes"
        ) from error
