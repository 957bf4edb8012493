"""Tamper-evident audit log: each event's hash covers the previous hash."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping

from crypto.errors import ChainError

GENESIS: bytes = bytes(32)


def canonical_event(fields: Mapping[str, str | int | None]) -> bytes:
    """Encode an event as sorted, compact UTF-8 JSON; only str keys and str/int/None values."""
    for name, value in fields.items():
        if not isinstance(name, str):
            raise TypeError(f"audit event field names must be str, not {type(name).__name__}")
        # bool is an int subclass, and floats do not round-trip canonically: refuse both.
        if value is not None and type(value) not in (str, int):
            kind = type(value).__name__
            raise TypeError(f"audit event field {name!r} must be str, int or None, not {kind}")
    return json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link_hash(previous: bytes, event: bytes) -> bytes:
    return hashlib.sha256(b"hip-audit-v1" + previous + hashlib.sha256(event).digest()).digest()


def verify_chain(events: Iterable[tuple[bytes, bytes]], *, start: bytes = GENESIS) -> bytes:
    """Recompute the chain over (event, stored_hash) pairs in order; return the head hash."""
    head = start
    for index, (event, stored) in enumerate(events):
        head = link_hash(head, event)
        if not hmac.compare_digest(head, stored):
            raise ChainError(index)
    return head
