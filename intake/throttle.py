"""Counters per fixed window, kept in the database so that every worker sees the same count."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Insert, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.types import Scope

from crypto import hkdf
from intake.models import Throttle


def window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


# Built once per dialect: these run on every rating, and composing a statement costs more than running it.
_COUNT = select(Throttle.count).where(
    Throttle.scope == bindparam("scope"), Throttle.key == bindparam("key"),
    Throttle.window_start == bindparam("window_start"),
)


def _upsert(insert: Callable[..., Insert]) -> Insert:
    statement = insert(Throttle).values(scope=bindparam("scope"), key=bindparam("key"),
                                        window_start=bindparam("window_start"), count=1,
                                        expires_at=bindparam("expires_at"))
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["scope", "key", "window_start"], set_={"count": Throttle.count + 1}
    ).returning(Throttle.count)


_HIT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


def _dialect(executor: Session | Connection) -> str:
    return executor.dialect.name if isinstance(executor, Connection) else executor.get_bind().dialect.name


def current_count(executor: Session | Connection, *, scope: str, key: bytes, window: timedelta, now: datetime) -> int:
    found = executor.execute(_COUNT, {"scope": scope, "key": key, "window_start": window_start(now, window)}).scalar()
    return found or 0


def hit(executor: Session | Connection, *, scope: str, key: bytes, window: timedelta, now: datetime) -> int:
    """Count one event in the current window and return the new count."""
    start = window_start(now, window)
    values = {"scope": scope, "key": key, "window_start": start, "expires_at": start + window}
    return int(executor.execute(_HIT[_dialect(executor)], values).scalar_one())


def reset(session: Session, *, scope: str, key: bytes) -> None:
    session.execute(delete(Throttle).where(Throttle.scope == scope, Throttle.key == key))


def purge_expired(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(Throttle).where(Throttle.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


# Client keys. The only code that reads a client's address: it is hashed at once under a key that changes every
# hour (derived from the deployment secret, so every worker computes the same), and never written anywhere.

CLIENT_KEY_PERIOD = timedelta(hours=1)


def _hour_key(secret: bytes, now: datetime) -> bytes:
    return _hour_key_from(secret, window_start(now, CLIENT_KEY_PERIOD))


@functools.lru_cache(maxsize=4)
def _hour_key_from(secret: bytes, start: datetime) -> bytes:
    # Derived once an hour, not once a request (the derivation is a tenth of a rating's cost otherwise).
    return hkdf(secret, info=b"hip-throttle-client-v1:" + start.isoformat().encode("ascii"))


def client_key(scope: Scope, *, secret: bytes, now: datetime) -> bytes:
    """A keyed hash of the client's address for this hour; the address itself goes nowhere."""
    client = scope.get("client")
    address = client[0] if client else ""
    return hmac.new(_hour_key(secret, now), address.encode("utf-8", "replace"), hashlib.sha256).digest()
