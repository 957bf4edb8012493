"""Fixtures for the crypto tests: keys made fresh per test, cheap Argon2 parameters."""

from __future__ import annotations

import pytest

from crypto import INSECURE_FAST_FOR_TESTS, Argon2Params, PrivateKey, generate_private_key


@pytest.fixture
def office_key() -> PrivateKey:
    return generate_private_key()


@pytest.fixture
def fast_params() -> Argon2Params:
    return INSECURE_FAST_FOR_TESTS
