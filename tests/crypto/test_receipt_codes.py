"""Receipt codes: generated, shown in groups, typed back in many ways, hashed for lookup."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from crypto import (
    Argon2Params,
    ReceiptCode,
    ReceiptFormatError,
    derive_receipt_keys,
    format_receipt,
    generate_receipt,
    normalise_receipt,
)

PEPPER = b"deployment-pepper-32-bytes-long!"
codes = st.text(alphabet="0123456789", min_size=20, max_size=20).map(ReceiptCode)
FULL_WIDTH = str.maketrans("0123456789 -", "０１２３４５６７８９\u3000－")


def test_given_new_receipts_then_each_is_twenty_ascii_digits_and_they_differ() -> None:
    receipts = {generate_receipt() for _ in range(200)}
    assert len(receipts) == 200
    assert all(len(r) == 20 and r.isascii() and r.isdigit() for r in receipts)


def test_given_a_receipt_then_it_is_shown_as_five_groups_of_four() -> None:
    assert format_receipt(ReceiptCode("12345678901234567890")) == "1234 5678 9012 3456 7890"


@given(codes)
def test_given_a_shown_receipt_when_typed_back_then_it_normalises_to_the_code(code: ReceiptCode) -> None:
    shown = format_receipt(code)
    assert normalise_receipt(shown) == code
    assert normalise_receipt(shown.replace(" ", "-")) == code
    assert normalise_receipt(shown.translate(FULL_WIDTH)) == code
    assert normalise_receipt(shown.replace(" ", "-").translate(FULL_WIDTH)) == code


@pytest.mark.parametrize(
    "typed",
    [
        " 1234.5678_9012 3456-7890 ",
        "1234\u30005678\u30009012\u30003456\u30007890",
        "１２３４－５６７８－９０１２－３４５６－７８９０",
    ],
)
def test_given_common_ways_of_typing_then_the_code_is_recognised(typed: str) -> None:
    assert normalise_receipt(typed) == "12345678901234567890"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1234 5678 9012 3456 789",
        "1234 5678 9012 3456 78901",
        "1234 5678 9012 3456 789O",
        "٠" * 20,
        "1" * 500,
    ],
)
def test_given_something_that_is_not_a_receipt_then_it_is_refused_saying_20_digits(typed: str) -> None:
    with pytest.raises(ReceiptFormatError, match="20 digits"):
        normalise_receipt(typed)


def test_given_a_code_and_pepper_then_receipt_keys_are_deterministic_and_distinct(
    fast_params: Argon2Params,
) -> None:
    code = ReceiptCode("12345678901234567890")
    keys = derive_receipt_keys(code, pepper=PEPPER, params=fast_params)
    assert keys == derive_receipt_keys(code, pepper=PEPPER, params=fast_params)
    assert len(keys.lookup) == len(keys.wrap_key) == 32 and keys.lookup != keys.wrap_key
    assert derive_receipt_keys(ReceiptCode("12345678901234567891"), pepper=PEPPER, params=fast_params) != keys
    assert derive_receipt_keys(code, pepper=PEPPER[::-1], params=fast_params) != keys
    assert keys.lookup.hex() not in repr(keys)


def test_given_the_documented_construction_then_receipt_keys_match_it(fast_params: Argon2Params) -> None:
    code = ReceiptCode("00000000000000000042")
    salt = hmac.new(PEPPER, b"hip-receipt-salt-v1", hashlib.sha256).digest()[:16]
    stretched = hash_secret_raw(
        code.encode(), salt, time_cost=1, memory_cost=8, parallelism=1, hash_len=32, type=Type.ID
    )

    def expand(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(stretched)

    keys = derive_receipt_keys(code, pepper=PEPPER, params=fast_params)
    assert keys.lookup == expand(b"hip-receipt-lookup-v1")
    assert keys.wrap_key == expand(b"hip-receipt-wrap-v1")


def test_given_a_short_pepper_or_bad_code_then_derivation_is_refused(fast_params: Argon2Params) -> None:
    with pytest.raises(ValueError, match="pepper"):
        derive_receipt_keys(ReceiptCode("12345678901234567890"), pepper=b"short", params=fast_params)
    with pytest.raises(ReceiptFormatError):
        derive_receipt_keys(ReceiptCode("1234 5678"), pepper=PEPPER, params=fast_params)
