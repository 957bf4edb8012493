"""Officer accounts: creation with their own key pair and TOTP, access grants, removal."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto import (
    Argon2Params,
    PrivateKey,
    context,
    generate_private_key,
    hash_password,
    hkdf,
    private_key_bytes,
    public_key_bytes,
    unwrap_with_key,
    wrap_with_key,
    wrap_with_password,
)
from intake.models import Office
from portal.keyring import Keyring, grant_all
from portal.models import KeyGrant, Officer, OfficerSession, Role
from portal.settings import DeploymentSecret

MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class OfficerError(Exception):
    """An officer account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class NewOfficer:
    officer: Officer
    private_key: PrivateKey
    totp_secret: str

    @property
    def provisioning_uri(self) -> str:
        return pyotp.TOTP(self.totp_secret).provisioning_uri(
            name=self.officer.username, issuer_name="Hospital Integrity Portal"
        )


def _totp_key(secret: DeploymentSecret) -> bytes:
    return hkdf(secret.reveal(), info=b"hip-totp-secret-v1")


def seal_totp_secret(totp_secret: str, *, username: str, secret: DeploymentSecret) -> bytes:
    return wrap_with_key(_totp_key(secret), totp_secret.encode("ascii"), associated_data=context("totp", username))


def open_totp_secret(officer: Officer, *, secret: DeploymentSecret) -> str:
    raw = unwrap_with_key(
        _totp_key(secret), officer.totp_secret_sealed, associated_data=context("totp", officer.username)
    )
    return raw.decode("ascii")


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OfficerError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def create_officer(
    session: Session,
    *,
    office: Office,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    params: Argon2Params,
    secret: DeploymentSecret,
) -> NewOfficer:
    """Create an account with its own key pair (wrapped by the password) and a fresh TOTP secret."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise OfficerError("a username is 2-63 lowercase letters, digits, '.', '_' or '-'")
    if session.scalar(select(Officer.id).where(Officer.username == username)) is not None:
        raise OfficerError(f"the username {username!r} is taken")
    check_password_strength(password)
    private = generate_private_key()
    totp_secret = pyotp.random_base32()
    officer = Officer(
        office_id=office.id,
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=hash_password(password, params=params),
        totp_secret_sealed=seal_totp_secret(totp_secret, username=username, secret=secret),
        public_key=public_key_bytes(private.public_key()),
        wrapped_private_key=wrap_with_password(private_key_bytes(private), password, params=params),
    )
    session.add(officer)
    session.flush()
    return NewOfficer(officer=officer, private_key=private, totp_secret=totp_secret)


def give_access(session: Session, *, officer: Officer, keyring: Keyring, granted_by: Officer | None) -> int:
    """Seal the office keys held in `keyring` to a (reading) officer; administrators never get any."""
    if officer.role is Role.ADMIN:
        raise OfficerError("an administrator manages accounts and holds no key to read with")
    if not officer.active:
        raise OfficerError("this account has been removed")
    return grant_all(session, keyring=keyring, officer=officer, granted_by=granted_by)


def remove_officer(session: Session, *, officer: Officer) -> None:
    """Deactivate an account: its grants and sessions are deleted, so it opens nothing any more."""
    officer.active = False
    session.execute(delete(KeyGrant).where(KeyGrant.officer_id == officer.id))
    session.execute(delete(OfficerSession).where(OfficerSession.officer_id == officer.id))
