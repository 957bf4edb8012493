"""Argon2id, HKDF and key wrapping: known answers, round trips and tampered blobs."""

from __future__ import annotations

import struct

import pytest
from argon2.low_level import Type, hash_secret_raw

from crypto import (
    INSECURE_FAST_FOR_TESTS,
    OWASP_MINIMUM,
    Argon2Params,
    DecryptionError,
    FormatError,
    KeyFormatError,
    context,
    derive_key,
    hkdf,
    unwrap_with_key,
    unwrap_with_password,
    wrap_with_key,
    wrap_with_password,
)

OFFICER_KEY = bytes(range(32))
AD = context("session", "officer-3")


def test_owasp_minimum_is_19_mib_two_passes_one_lane() -> None:
    assert (OWASP_MINIMUM.time_cost, OWASP_MINIMUM.memory_kib, OWASP_MINIMUM.parallelism) == (2, 19456, 1)


def test_given_fixed_inputs_then_derive_key_matches_argon2id_computed_directly() -> None:
    expected = hash_secret_raw(
        b"correct horse",
        b"saltsaltsaltsalt",
        time_cost=1,
        memory_cost=8,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    derived = derive_key(b"correct horse", salt=b"saltsaltsaltsalt", params=INSECURE_FAST_FOR_TESTS)
    assert derived == expected
    assert derived.hex() == "b7940bccc95f48f2cc7b36f55ff851c356ca4d3a6bc8cd4986a0692f2aac78ec"


def test_given_a_different_salt_secret_or_length_then_the_key_differs(fast_params: Argon2Params) -> None:
    base = derive_key(b"secret", salt=b"0123456789abcdef", params=fast_params)
    assert derive_key(b"secret", salt=b"0123456789abcdeX", params=fast_params) != base
    assert derive_key(b"secreT", salt=b"0123456789abcdef", params=fast_params) != base
    assert len(derive_key(b"secret", salt=b"0123456789abcdef", params=fast_params, length=64)) == 64


@pytest.mark.parametrize(
    "fields",
    [
        {"time_cost": 0},
        {"time_cost": 65},
        {"parallelism": 0},
        {"memory_kib": 7},
        {"memory_kib": 4 * 1024 * 1024 + 1},
        {"parallelism": 4, "memory_kib": 16},
    ],
)
def test_given_absurd_argon2_parameters_then_they_are_refused(fields: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="Argon2"):
        Argon2Params(**fields)


def test_given_rfc5869_case_3_then_hkdf_with_no_salt_matches() -> None:
    okm = hkdf(bytes([0x0B]) * 22, info=b"", length=42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_given_a_password_when_a_key_is_wrapped_then_only_that_password_unwraps(
    fast_params: Argon2Params,
) -> None:
    # Given an officer's private key wrapped with the officer's password
    wrapped = wrap_with_password(OFFICER_KEY, "雪山飞狐 1984", params=fast_params)
    # Then the blob records its parameters, and only the password opens it
    assert struct.unpack(">BIIB", wrapped[:10]) == (1, 1, 8, 1)
    assert len(wrapped) == 38 + 32 + 16
    assert unwrap_with_password(wrapped, "雪山飞狐 1984") == OFFICER_KEY
    with pytest.raises(DecryptionError, match="wrong password"):
        unwrap_with_password(wrapped, "雪山飞狐 1985")


def test_given_a_tampered_password_blob_then_it_fails_cleanly(fast_params: Argon2Params) -> None:
    wrapped = wrap_with_password(OFFICER_KEY, "pw", params=fast_params)
    for position in range(len(wrapped)):
        for mask in (0x01, 0x80):
            tampered = bytearray(wrapped)
            tampered[position] ^= mask
            with pytest.raises((DecryptionError, FormatError)):
                unwrap_with_password(bytes(tampered), "pw")
    for length in range(len(wrapped)):
        with pytest.raises((DecryptionError, FormatError)):
            unwrap_with_password(wrapped[:length], "pw")


def test_given_a_blob_asking_for_8_gib_then_format_error_before_any_work(fast_params: Argon2Params) -> None:
    wrapped = wrap_with_password(OFFICER_KEY, "pw", params=fast_params)
    greedy = wrapped[:5] + (8 * 1024 * 1024).to_bytes(4, "big") + wrapped[9:]
    with pytest.raises(FormatError, match="Argon2"):
        unwrap_with_password(greedy, "pw")
    with pytest.raises(FormatError, match="unknown version"):
        unwrap_with_password(b"\x02" + wrapped[1:], "pw")


def test_given_a_session_key_when_wrapping_then_round_trip_and_ad_binds() -> None:
    session_key = bytes(32)
    wrapped = wrap_with_key(session_key, OFFICER_KEY, associated_data=AD)
    assert len(wrapped) == 1 + 12 + 32 + 16
    assert unwrap_with_key(session_key, wrapped, associated_data=AD) == OFFICER_KEY
    with pytest.raises(DecryptionError):
        unwrap_with_key(bytes(31) + b"\x01", wrapped, associated_data=AD)
    with pytest.raises(DecryptionError):
        unwrap_with_key(session_key, wrapped, associated_data=context("session", "officer-4"))


def test_given_a_tampered_or_truncated_key_wrap_then_it_fails_cleanly() -> None:
    wrapped = wrap_with_key(bytes(32), OFFICER_KEY, associated_data=AD)
    for position in range(len(wrapped)):
        tampered = bytearray(wrapped)
        tampered[position] ^= 0x01
        with pytest.raises((DecryptionError, FormatError)):
            unwrap_with_key(bytes(32), bytes(tampered), associated_data=AD)
    for length in range(len(wrapped)):
        with pytest.raises((DecryptionError, FormatError)):
            unwrap_with_key(bytes(32), wrapped[:length], associated_data=AD)


def test_given_a_key_that_is_not_32_bytes_then_key_format_error() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes"):
        wrap_with_key(bytes(16), OFFICER_KEY, associated_data=AD)
    with pytest.raises(KeyFormatError, match="32 bytes"):
        unwrap_with_key(bytes(33), bytes(60), associated_data=AD)
