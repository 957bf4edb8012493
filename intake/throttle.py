"""Counters per fixed window, kept in the database so that every worker sees the same count."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.types import Scope

from crypto import hkdf
from intake.models import Throttle


def window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def current_count(session: Session, *, scope: str, key: bytes, window: timedelta, now: datetime) -> int:
    start = window_start(now, window)
    found = session.scalar(
        select(Throttle.count).where(
            Throttle.scope == scope, Throttle.key == key, Throttle.window_start == start
        )
    )
    return found or 0


def hit(session: Session, *, scope: str, key: bytes, window: timedelta, now: datetime) -> int:
    """Count one event in the current window and return the new count."""
    start = window_start(now, window)
    values = {"scope": scope, "key": key, "window_start": start, "count": 1, "expires_at": start + window}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Throttle).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["scope", "key", "window_start"], set_={"count": Throttle.count + 1}
    ).returning(Throttle.count)
    return int(session.execute(statement).scalar_one())


def reset(session: Session, *, scope: str, key: bytes) -> None:
    session.execute(delete(Throttle).where(Throttle.scope == scope, Throttle.key == key))


def purge_expired(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(Throttle).where(Throttle.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


# Client keys. The only code that reads a client's address: it is hashed at once under a key that changes every
# hour (derived from the deployment secret, so every worker computes the same), and never written anywhere.

CLIENT_KEY_PERIOD = timedelta(hours=1)


def _hour_key(secret: bytes, now: datetime) -> bytes:
    start = window_start(now, CLIENT_KEY_PERIOD)
    return hkdf(secret, info=b"hip-throttle-client-v1:" + start.isoformat().encode("ascii"))


def client_key(scope: Scope, *, secret: bytes, now: datetime) -> bytes:
    """A keyed hash of the client's address for this hour; the address itself goes nowhere."""
    client = scope.get("client")
    address = client[0] if client else ""
    return hmac.new(_hour_key(secret, now), address.encode("utf-8", "replace"), hashlib.sha256).digest()
