"""P-256 keys: raw encodings, key ids and refusal of anything that is not a key."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from crypto import (
    KeyFormatError,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    private_key_bytes,
    public_key_bytes,
)

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_given_a_new_key_then_its_raw_forms_round_trip() -> None:
    key = generate_private_key()
    public = public_key_bytes(key.public_key())
    assert len(public) == 65 and public[0] == 0x04
    assert public_key_bytes(load_public_key(public)) == public
    scalar = private_key_bytes(key)
    assert len(scalar) == 32
    assert private_key_bytes(load_private_key(scalar)) == scalar
    assert key_id(key.public_key()) == hashlib.sha256(public).digest()[:8]


def test_given_bytes_that_are_not_a_point_then_key_format_error() -> None:
    public = public_key_bytes(generate_private_key().public_key())
    off_curve = public[:-1] + bytes([public[-1] ^ 0x01])
    compressed = bytes([2 + (public[-1] & 1)]) + public[1:33]
    for raw in (b"", public[:64], public + b"\x00", compressed, off_curve, b"\x04" + bytes(64)):
        with pytest.raises(KeyFormatError):
            load_public_key(raw)


@pytest.mark.parametrize(
    "raw",
    [bytes(32), P256_ORDER.to_bytes(32, "big"), b"\xff" * 32, bytes(30) + b"\x01", b"\x01" * 33],
    ids=["zero", "group-order", "all-ones", "31-bytes", "33-bytes"],
)
def test_given_a_scalar_out_of_range_or_wrong_length_then_key_format_error(raw: bytes) -> None:
    with pytest.raises(KeyFormatError):
        load_private_key(raw)


def test_given_a_key_on_another_curve_then_key_format_error() -> None:
    with pytest.raises(KeyFormatError, match="P-256"):
        public_key_bytes(ec.generate_private_key(ec.SECP384R1()).public_key())
