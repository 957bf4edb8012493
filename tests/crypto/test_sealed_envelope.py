"""Sealed envelopes: round trips, padding buckets, tampering and a frozen known-answer vector."""

from __future__ import annotations

import hashlib
import random
import struct

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    DecryptionError,
    FormatError,
    PrivateKey,
    context,
    envelope_key_id,
    generate_private_key,
    key_id,
    load_private_key,
    open_envelope,
    public_key_bytes,
    seal,
)
from crypto.envelope import _seal_with

AD = context("report", "hospital-1", "dept-7")
OVERHEAD = 86 + 16

# Known-answer vector: RFC 6979 A.2.5 P-256 key as recipient, fixed ephemeral scalar and nonce.
KAT_RECIPIENT = bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
KAT_EPHEMERAL = hashlib.sha256(b"hip envelope kat ephemeral").digest()
KAT_NONCE = bytes(range(12))
KAT_PLAINTEXT = "科室主任收受红包 2000 元".encode()
KAT_ENVELOPE = bytes.fromhex(
    "01b18b86ce1389e46d04d87164b465ee186bd84981f9cc5d7d34455ed6345223eaefa1911d1107a433dd9e4a57117b34"
    "0b6daac9bdf50b9be1fc48caca540a3efc9f2792cda133a39085000102030405060708090a0b7b4751ad5c2e76464b73"
    "1796c2468f3486ccc0888a0910c7db72459e0497d1e85dd6eb6157ba3a1b31600f134bab3253c008e8238d81ba5986c7"
    "e8cadfceabe18b9348e222c02458af44461177d671cc0d277209d76cec42ec0d798459278fd2d6dd9089a1d2a8d8e21d"
    "2ad86ac1bc8875f3fb0eba225ee4cf1acd4b9897486364539698967bbd9c5eeb655ddd9281aacda3d01d49de82e57d23"
    "a3afb52bc5c5599dedfd8512c88900ed50413afa2c45f191f44a83c39b0ff1d5a208d1d0e8765b3757949d111d303c4b"
    "2584d4869575438acb7323bf11b30ca831b5b0f861f3b9aa8813de905d3554ef2e429155cc37eaf551ff6740f9f3fdbc"
    "a6518ab440782e0c153339761e392bfa7c327004f1bc"
)


def reference_bucket(framed: int) -> int:
    """The padding rule written out independently of crypto.envelope."""
    if framed <= 256:
        return 256
    if framed <= 65536:
        size = 256
        while size < framed:
            size *= 2
        return size
    return (framed + 65535) // 65536 * 65536


def scratch_key(private: ec.EllipticCurvePrivateKey, envelope: bytes) -> bytes:
    """Derive the AES key of an envelope with cryptography primitives only."""
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), envelope[9:74])
    shared = private.exchange(ec.ECDH(), ephemeral)
    info = b"hip-envelope-v1" + envelope[1:9] + envelope[9:74]
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def scratch_open(private: ec.EllipticCurvePrivateKey, envelope: bytes, associated_data: bytes) -> bytes:
    """Open a v1 envelope from the format description alone."""
    assert envelope[0] == 1
    framed = AESGCM(scratch_key(private, envelope)).decrypt(
        envelope[74:86], envelope[86:], envelope[:86] + associated_data
    )
    (length,) = struct.unpack(">I", framed[:4])
    assert framed[4 + length :] == bytes(len(framed) - 4 - length)
    return framed[4 : 4 + length]


def reseal_frame(private: PrivateKey, envelope: bytes, framed: bytes) -> bytes:
    """Re-encrypt a hand-made frame under the same header, as a misbehaving sealer would."""
    sealed = AESGCM(scratch_key(private, envelope)).encrypt(envelope[74:86], framed, envelope[:86] + AD)
    return envelope[:86] + sealed


def sizes_up_to_200k() -> st.SearchStrategy[bytes]:
    boundaries = st.sampled_from([0, 1, 252, 253, 508, 509, 65531, 65532, 65533, 131068, 131069, 200_000])
    lengths = st.one_of(boundaries, st.integers(min_value=0, max_value=200_000))
    return st.one_of(
        st.binary(max_size=600),
        st.tuples(lengths, st.integers(0, 2**32)).map(lambda t: random.Random(t[1]).randbytes(t[0])),
    )


def test_given_an_office_key_when_a_report_is_sealed_then_only_that_key_opens_it(
    office_key: PrivateKey,
) -> None:
    # Given a report in Chinese
    report = "护士长收了病人家属的红包".encode()
    # When it is sealed to the office's public key
    envelope = seal(office_key.public_key(), report, associated_data=AD)
    # Then the office's private key opens it, and the header names the office key
    assert open_envelope(office_key, envelope, associated_data=AD) == report
    assert envelope_key_id(envelope) == key_id(office_key.public_key())
    assert report not in envelope


@settings(max_examples=60, deadline=None)
@given(plaintext=sizes_up_to_200k(), associated_data=st.binary(max_size=300))
def test_given_any_bytes_and_any_ad_when_sealed_then_they_open_unchanged(
    plaintext: bytes, associated_data: bytes
) -> None:
    key = generate_private_key()
    envelope = seal(key.public_key(), plaintext, associated_data=associated_data)
    assert open_envelope(key, envelope, associated_data=associated_data) == plaintext
    assert len(envelope) == OVERHEAD + reference_bucket(len(plaintext) + 4)


@settings(max_examples=40, deadline=None)
@given(first=st.integers(0, 140_000), second=st.integers(0, 140_000))
def test_given_two_plaintexts_when_sealed_then_lengths_differ_only_by_bucket(first: int, second: int) -> None:
    key = generate_private_key().public_key()
    a = seal(key, bytes(first), associated_data=AD)
    b = seal(key, b"x" * second, associated_data=AD)
    same_bucket = reference_bucket(first + 4) == reference_bucket(second + 4)
    assert (len(a) == len(b)) == same_bucket


@pytest.mark.parametrize(
    ("length", "padded"),
    [(0, 256), (252, 256), (253, 512), (65532, 65536), (65533, 131072), (200_000, 262144)],
)
def test_given_a_length_at_a_bucket_edge_then_the_envelope_has_the_bucket_size(
    length: int, padded: int
) -> None:
    envelope = seal(generate_private_key().public_key(), bytes(length), associated_data=AD)
    assert len(envelope) == OVERHEAD + padded


def test_given_the_same_report_sealed_twice_then_the_envelopes_differ(office_key: PrivateKey) -> None:
    first = seal(office_key.public_key(), b"same", associated_data=AD)
    second = seal(office_key.public_key(), b"same", associated_data=AD)
    assert first != second


def test_given_another_key_when_opening_then_decryption_fails_naming_the_key(office_key: PrivateKey) -> None:
    envelope = seal(office_key.public_key(), b"report", associated_data=AD)
    with pytest.raises(DecryptionError, match="sealed to key"):
        open_envelope(generate_private_key(), envelope, associated_data=AD)


def test_given_an_envelope_moved_to_another_record_when_opened_then_it_fails(office_key: PrivateKey) -> None:
    envelope = seal(office_key.public_key(), b"report", associated_data=AD)
    with pytest.raises(DecryptionError, match="wrong associated data"):
        open_envelope(office_key, envelope, associated_data=context("report", "hospital-1", "dept-8"))


def test_given_any_single_byte_changed_when_opened_then_it_fails_cleanly(office_key: PrivateKey) -> None:
    envelope = seal(office_key.public_key(), b"short report", associated_data=AD)
    for position in range(len(envelope)):
        for mask in (0x01, 0x80):
            tampered = bytearray(envelope)
            tampered[position] ^= mask
            with pytest.raises((DecryptionError, FormatError)):
                open_envelope(office_key, bytes(tampered), associated_data=AD)


def test_given_a_truncated_or_extended_envelope_when_opened_then_format_error(office_key: PrivateKey) -> None:
    envelope = seal(office_key.public_key(), b"short report", associated_data=AD)
    for length in range(len(envelope)):
        with pytest.raises(FormatError):
            open_envelope(office_key, envelope[:length], associated_data=AD)
    with pytest.raises(FormatError, match="padded size"):
        open_envelope(office_key, envelope + b"\x00", associated_data=AD)


def test_given_an_unknown_version_then_format_error_and_no_key_id(office_key: PrivateKey) -> None:
    envelope = b"\x02" + seal(office_key.public_key(), b"r", associated_data=AD)[1:]
    with pytest.raises(FormatError, match="unknown version 2"):
        open_envelope(office_key, envelope, associated_data=AD)
    with pytest.raises(FormatError):
        envelope_key_id(envelope)


def test_given_a_frame_with_bad_padding_when_opened_then_decryption_error(office_key: PrivateKey) -> None:
    envelope = seal(office_key.public_key(), b"r", associated_data=AD)
    nonzero_padding = struct.pack(">I", 1) + b"r" + b"\x00" * 250 + b"\x01"
    length_too_big = struct.pack(">I", 253) + bytes(252)
    for framed in (nonzero_padding, length_too_big):
        with pytest.raises(DecryptionError, match="padding"):
            open_envelope(office_key, reseal_frame(office_key, envelope, framed), associated_data=AD)


def test_given_fixed_inputs_then_the_envelope_matches_the_frozen_vector() -> None:
    # Given the known-answer keys, nonce and plaintext
    recipient = load_private_key(KAT_RECIPIENT)
    ephemeral = load_private_key(KAT_EPHEMERAL)
    # When sealed deterministically
    envelope = _seal_with(ephemeral, KAT_NONCE, recipient.public_key(), KAT_PLAINTEXT, associated_data=AD)
    # Then the bytes are the frozen vector, with the documented header layout
    assert envelope == KAT_ENVELOPE
    assert envelope[1:9] == hashlib.sha256(public_key_bytes(recipient.public_key())).digest()[:8]
    assert envelope[9:74] == public_key_bytes(ephemeral.public_key())
    assert envelope[74:86] == KAT_NONCE
    assert open_envelope(recipient, KAT_ENVELOPE, associated_data=AD) == KAT_PLAINTEXT


def test_given_the_frozen_vector_then_a_from_scratch_implementation_opens_it() -> None:
    recipient = ec.derive_private_key(int.from_bytes(KAT_RECIPIENT, "big"), ec.SECP256R1())
    assert scratch_open(recipient, KAT_ENVELOPE, AD) == KAT_PLAINTEXT


def test_given_context_fields_then_the_encoding_is_length_prefixed_and_unambiguous() -> None:
    assert context("ab", "c") == b"hip-ad-v1\x00\x02ab\x00\x01c"
    assert context("ab", "c") != context("a", "bc")
    assert context() != context("")
    assert context("科") == b"hip-ad-v1\x00\x03" + "科".encode()
    with pytest.raises(ValueError, match="65535"):
        context("x" * 65536)


@settings(max_examples=50)
@given(st.lists(st.text(max_size=8), max_size=4), st.lists(st.text(max_size=8), max_size=4))
def test_given_different_field_lists_then_contexts_differ(first: list[str], second: list[str]) -> None:
    assert (context(*first) == context(*second)) == (first == second)
