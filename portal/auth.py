"""Officer login (password + TOTP) and sessions whose office keys open only with the cookie's key."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto import (
    DecryptionError,
    dummy_hash,
    hash_password,
    load_private_key,
    needs_rehash,
    unwrap_with_key,
    unwrap_with_password,
    verify_password,
    wrap_with_key,
)
from intake import throttle
from portal.keyring import Keyring, officer_keyring
from portal.models import Officer, OfficerSession, Role
from portal.officers import open_totp_secret
from portal.settings import Settings

COOKIE = "hip_office"
_TOTP_PERIOD = 30


class LoginOutcome(enum.Enum):
    SUCCESS = "success"
    FAILED = "failed"  # wrong username, password or TOTP code: one answer for all, on purpose
    THROTTLED = "throttled"  # too many failures for this account in the current window


@dataclass(frozen=True)
class LoginAttempt:
    outcome: LoginOutcome
    cookie: str = ""
    officer_id: int | None = None


@dataclass(frozen=True)
class CurrentOfficer:
    """The officer behind a valid session cookie, with the keys the session holds."""

    id: int
    office_id: int
    username: str
    display_name: str
    role: Role
    keyring: Keyring
    session_hash: bytes

    @property
    def can_read(self) -> bool:
        return self.role is not Role.ADMIN and bool(self.keyring.keys)


def _account_key(settings: Settings, username: str) -> bytes:
    return hmac.new(settings.secret.reveal(), b"login:" + username.encode(), hashlib.sha256).digest()


def _totp_step(officer: Officer, code: str, settings: Settings, now: datetime) -> int | None:
    """The time step the code belongs to (one step of clock drift either way), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(open_totp_secret(officer, secret=settings.secret))
    step = int(now.timestamp()) // _TOTP_PERIOD
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.at(candidate * _TOTP_PERIOD), code):
            return candidate
    return None


def login(session: Session, settings: Settings, *, username: str, password: str, totp_code: str,
          now: datetime) -> LoginAttempt:
    """Check password and TOTP, open the office keys, and return the session cookie value.

    A failure is returned, not raised, so that the caller commits the throttle count. Runs two Argon2id
    computations: call it from a worker thread, never on the event loop.
    """
    username = username.strip().lower()
    account = _account_key(settings, username)
    window = settings.login_lockout
    if throttle.current_count(session, scope="login", key=account, window=window, now=now) >= (
        settings.login_failures_allowed
    ):
        return LoginAttempt(LoginOutcome.THROTTLED)
    officer = session.scalar(select(Officer).where(Officer.username == username, Officer.active.is_(True)))
    # An unknown user costs the same Argon2id as a known one, so timing tells nothing.
    encoded = officer.password_hash if officer else dummy_hash(params=settings.argon2)
    password_ok = verify_password(encoded, password)
    step = _totp_step(officer, totp_code, settings, now) if (officer and password_ok) else None
    if officer is None or not password_ok or step is None or step <= officer.last_totp_step:
        throttle.hit(session, scope="login", key=account, window=window, now=now)
        return LoginAttempt(LoginOutcome.FAILED, officer_id=officer.id if officer else None)
    officer.last_totp_step = step
    throttle.reset(session, scope="login", key=account)
    try:
        private = load_private_key(unwrap_with_password(officer.wrapped_private_key, password))
    except DecryptionError:
        return LoginAttempt(LoginOutcome.FAILED, officer_id=officer.id)
    if needs_rehash(officer.password_hash, params=settings.argon2):
        officer.password_hash = hash_password(password, params=settings.argon2)
    keyring = (
        Keyring.empty()
        if officer.role is Role.ADMIN
        else officer_keyring(session, officer=officer, officer_private=private)
    )
    cookie = _open_session(session, officer=officer, keyring=keyring, now=now)
    return LoginAttempt(LoginOutcome.SUCCESS, cookie=cookie, officer_id=officer.id)


def _open_session(session: Session, *, officer: Officer, keyring: Keyring, now: datetime) -> str:
    session_id = secrets.token_bytes(32)
    session_key = secrets.token_bytes(32)
    id_hash = hashlib.sha256(session_id).digest()
    session.add(
        OfficerSession(
            id_hash=id_hash,
            officer_id=officer.id,
            sealed_keys=wrap_with_key(session_key, keyring.to_bytes(), associated_data=id_hash),
            created_at=now,
            last_seen_at=now,
        )
    )
    return base64.urlsafe_b64encode(session_id + session_key).decode("ascii")


def _parse_cookie(value: str) -> tuple[bytes, bytes] | None:
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if len(raw) != 64:
        return None
    return hashlib.sha256(raw[:32]).digest(), raw[32:]


def load(session: Session, settings: Settings, *, cookie: str, now: datetime) -> CurrentOfficer | None:
    """The officer of a session cookie, or None when it is unknown, expired or its officer removed."""
    parsed = _parse_cookie(cookie)
    if parsed is None:
        return None
    id_hash, session_key = parsed
    row = session.get(OfficerSession, id_hash)
    if row is None:
        return None
    expired = (now - row.last_seen_at > settings.session_idle) or (
        now - row.created_at > settings.session_absolute
    )
    officer = row.officer
    if expired or not officer.active:
        session.delete(row)
        return None
    try:
        keyring = Keyring.from_bytes(unwrap_with_key(session_key, row.sealed_keys, associated_data=id_hash))
    except DecryptionError:
        return None
    # Refresh the idle clock at most once a minute: a write per page view would be wasted.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return CurrentOfficer(
        id=officer.id,
        office_id=officer.office_id,
        username=officer.username,
        display_name=officer.display_name,
        role=officer.role,
        keyring=keyring,
        session_hash=id_hash,
    )


def logout(session: Session, *, cookie: str) -> None:
    parsed = _parse_cookie(cookie)
    if parsed is not None:
        session.execute(delete(OfficerSession).where(OfficerSession.id_hash == parsed[0]))


def purge_expired(session: Session, settings: Settings, *, now: datetime) -> None:
    session.execute(
        delete(OfficerSession).where(
            (OfficerSession.last_seen_at < now - settings.session_idle)
            | (OfficerSession.created_at < now - settings.session_absolute)
        )
    )
