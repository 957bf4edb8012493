"""How long online guessing takes at the allowed rate, from the product's own constants (SECURITY.md quotes it).

The throttles themselves (per client, over all clients, equal answers) are tested in tests/intake/test_follow_up.py;
equal timing with the real Argon2id parameters in tests/slow/test_receipt_timing.py.
"""

from __future__ import annotations

from datetime import timedelta

from crypto.receipts import DIGITS, generate_receipt
from intake.followup import FollowLimits

LIVE_RECEIPTS = 100_000
HOURS_PER_YEAR = 24 * 365.25


def expected_years_to_hit_any(*, live: int, guesses_per_hour: float) -> float:
    """Each guess hits one of `live` codes out of 10**DIGITS; the expected number of guesses is the inverse."""
    return (10**DIGITS / live) / guesses_per_hour / HOURS_PER_YEAR


def test_the_allowed_guessing_rate_needs_a_hundred_million_years_to_hit_one_live_receipt():
    limits = FollowLimits()
    assert (limits.per_client, limits.overall, limits.window) == (10, 1000, timedelta(hours=1))
    # However many addresses an attacker has, the overall throttle caps the wrong codes checked per hour.
    years = expected_years_to_hit_any(live=LIVE_RECEIPTS, guesses_per_hour=limits.overall)
    assert 1.1e8 < years < 1.2e8  # 1e15 guesses at 1,000 an hour: about 114 million years
    one_address = expected_years_to_hit_any(live=LIVE_RECEIPTS, guesses_per_hour=limits.per_client)
    assert one_address > 1e10


def test_codes_carry_the_entropy_the_figure_assumes():
    drawn = {generate_receipt() for _ in range(2000)}
    assert len(drawn) == 2000 and all(len(code) == DIGITS and code.isdigit() for code in drawn)
    first_digits = {code[0] for code in drawn}
    assert first_digits == set("0123456789")  # leading zeros are kept: the full 10**20 space is used
