"""Counters per fixed window, kept in the database so that every worker sees the same count."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.requests import Request

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


def client_key(request: Request, secret: bytes) -> bytes:
    """The client counted as a keyed hash of its address under a key that changes every hour (every worker
    derives the same key from the deployment secret). This is the only place that reads the address."""
    hour = int(datetime.now(UTC).timestamp()) // 3600
    key = hkdf(secret, info=b"hip-client-key-v1:" + str(hour).encode())
    address = request.client.host if request.client else ""
    return hmac.new(key, address.encode(), hashlib.sha256).digest()
