"""Ed25519 signatures: RFC 8032 vector, round trips and every kind of bad input."""

from __future__ import annotations

import pytest

from crypto import (
    KeyFormatError,
    SignatureError,
    generate_signing_key,
    load_signing_key,
    sign,
    signing_key_bytes,
    verify_key_bytes,
    verify_signature,
)

# RFC 8032 section 7.1, TEST 1 (empty message).
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_given_rfc8032_test_1_then_key_and_signature_match() -> None:
    key = load_signing_key(RFC_SECRET)
    assert verify_key_bytes(key) == RFC_PUBLIC
    assert sign(key, b"") == RFC_SIGNATURE
    verify_signature(RFC_PUBLIC, b"", RFC_SIGNATURE)


def test_given_a_new_key_then_it_round_trips_and_signs() -> None:
    key = generate_signing_key()
    restored = load_signing_key(signing_key_bytes(key))
    assert verify_key_bytes(restored) == verify_key_bytes(key)
    verify_signature(verify_key_bytes(key), "证书 42".encode(), sign(restored, "证书 42".encode()))


def test_given_a_changed_message_signature_or_key_then_signature_error() -> None:
    key = generate_signing_key()
    public = verify_key_bytes(key)
    signature = sign(key, b"certificate 42")
    with pytest.raises(SignatureError):
        verify_signature(public, b"certificate 43", signature)
    for position in range(len(signature)):
        tampered = bytearray(signature)
        tampered[position] ^= 0x01
        with pytest.raises(SignatureError):
            verify_signature(public, b"certificate 42", bytes(tampered))
    with pytest.raises(SignatureError):
        verify_signature(verify_key_bytes(generate_signing_key()), b"certificate 42", signature)


@pytest.mark.parametrize(
    ("public", "signature"), [(bytes(31), bytes(64)), (bytes(32), bytes(63)), (b"", b"")]
)
def test_given_malformed_lengths_then_signature_error(public: bytes, signature: bytes) -> None:
    with pytest.raises(SignatureError, match="wrong length"):
        verify_signature(public, b"m", signature)


def test_given_a_signing_key_of_the_wrong_length_then_key_format_error() -> None:
    with pytest.raises(KeyFormatError):
        load_signing_key(bytes(31))
