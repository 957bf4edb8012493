"""Officer passwords: Argon2id hashes that verify, refuse, and tell when to rehash."""

from __future__ import annotations

import pytest

from crypto import Argon2Params, dummy_hash, hash_password, needs_rehash, verify_password


def test_given_a_hashed_password_then_only_the_same_password_verifies(fast_params: Argon2Params) -> None:
    encoded = hash_password("红包不能收 2024", params=fast_params)
    assert encoded.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(encoded, "红包不能收 2024")
    assert not verify_password(encoded, "红包不能收 2025")


@pytest.mark.parametrize("encoded", ["", "garbage", "$argon2id$v=19$m=8,t=1,p=1$xx$yy", "$argon2id$é"])
def test_given_a_malformed_hash_then_verification_says_no_without_raising(encoded: str) -> None:
    assert verify_password(encoded, "anything") is False


def test_given_other_parameters_then_the_hash_needs_rehashing(fast_params: Argon2Params) -> None:
    encoded = hash_password("pw", params=fast_params)
    assert not needs_rehash(encoded, params=fast_params)
    assert needs_rehash(encoded, params=Argon2Params(time_cost=2, memory_kib=8, parallelism=1))
    assert needs_rehash("garbage", params=fast_params)


def test_given_an_unknown_user_then_the_dummy_hash_is_stable_and_matches_nothing(
    fast_params: Argon2Params,
) -> None:
    dummy = dummy_hash(params=fast_params)
    assert dummy == dummy_hash(params=fast_params)
    assert dummy.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert not verify_password(dummy, "")
    assert not verify_password(dummy, "password")
