"""Audit hash chain: canonical events, a known link hash, and every edit found at its index."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from crypto import GENESIS, ChainError, canonical_event, link_hash, verify_chain

EVENTS = [
    canonical_event({"action": "login", "officer": i % 3, "clue": None, "note": f"第{i}次"}) for i in range(6)
]


def build(events: list[bytes]) -> list[tuple[bytes, bytes]]:
    chain = []
    head = GENESIS
    for event in events:
        head = link_hash(head, event)
        chain.append((event, head))
    return chain


def test_given_fields_then_the_event_is_sorted_compact_utf8_json() -> None:
    event = canonical_event({"z": 1, "a": "阅读", "m": None})
    assert event == '{"a":"阅读","m":null,"z":1}'.encode()


@pytest.mark.parametrize("fields", [{"a": 1.5}, {"a": True}, {"a": [1]}, {"a": b"x"}, {1: "x"}])
def test_given_values_of_other_types_then_type_error(fields: dict[object, object]) -> None:
    with pytest.raises(TypeError):
        canonical_event(fields)  # type: ignore[arg-type]


def test_given_a_fixed_event_then_link_hash_matches_the_known_answer() -> None:
    event = canonical_event({"event": "read", "officer": 7, "clue": None})
    expected = hashlib.sha256(b"hip-audit-v1" + bytes(32) + hashlib.sha256(event).digest()).digest()
    assert link_hash(GENESIS, event) == expected
    assert expected.hex() == "e8d728a138640d3f01034d393e7941171f164ff459b1d4502f1a1a156db6242c"


def test_given_an_intact_chain_then_verify_returns_the_head() -> None:
    chain = build(EVENTS)
    assert verify_chain(chain) == chain[-1][1]
    assert verify_chain([]) == GENESIS
    # Verifying from a checkpoint continues the same chain.
    assert verify_chain(chain[3:], start=chain[2][1]) == chain[-1][1]


def test_given_an_edited_event_then_the_error_names_its_index() -> None:
    chain = build(EVENTS)
    chain[2] = (canonical_event({"action": "nothing to see"}), chain[2][1])
    with pytest.raises(ChainError, match="event 2") as caught:
        verify_chain(chain)
    assert caught.value.index == 2


@pytest.mark.parametrize(
    ("change", "index"),
    [
        pytest.param(lambda c: c[:3] + c[4:], 3, id="deleted"),
        pytest.param(lambda c: [*c[:1], c[2], c[1], *c[3:]], 1, id="reordered"),
        pytest.param(
            lambda c: [*c[:4], (b"{}", link_hash(c[3][1], b"{}")), *c[4:]], 5, id="inserted-rehashed"
        ),
        pytest.param(lambda c: [*c[:4], c[0], *c[4:]], 4, id="inserted-copy"),
        pytest.param(lambda c: [*c[:5], (c[5][0], bytes(32))], 5, id="hash-overwritten"),
    ],
)
def test_given_a_tampered_chain_then_the_first_bad_index_is_reported(
    change: Callable[[list[tuple[bytes, bytes]]], list[tuple[bytes, bytes]]], index: int
) -> None:
    with pytest.raises(ChainError) as caught:
        verify_chain(change(build(EVENTS)))
    assert caught.value.index == index


def test_given_the_last_event_deleted_then_the_head_no_longer_matches_the_published_one() -> None:
    chain = build(EVENTS)
    published_head = chain[-1][1]
    assert verify_chain(chain[:-1]) != published_head
