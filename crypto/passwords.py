"""Officer password hashing with Argon2id (argon2-cffi encoded hashes)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from argon2.low_level import Type

from crypto.kdf import Argon2Params

# Verification reads the parameters from the encoded hash itself.
_VERIFIER = PasswordHasher()


def _hasher(params: Argon2Params) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hash_password(password: str, *, params: Argon2Params) -> str:
    return _hasher(params).hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """Return whether the password matches; False for a malformed hash too."""
    try:
        return _VERIFIER.verify(encoded, password)
    except (Argon2Error, ValueError):  # mismatch, malformed hash (InvalidHashError is a ValueError)
        return False


def needs_rehash(encoded: str, *, params: Argon2Params) -> bool:
    try:
        return _hasher(params).check_needs_rehash(encoded)
    except (Argon2Error, ValueError):
        return True


@functools.lru_cache(maxsize=8)
def dummy_hash(*, params: Argon2Params) -> str:
    """Return a hash of a random password, to verify against when the user is unknown (equal time)."""
    return hash_password(secrets.token_urlsafe(16), params=params)
