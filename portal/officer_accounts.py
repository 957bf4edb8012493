"""The officers page's services: the head adds officers (the office key sealed to them), an administrator manages
accounts without keys, a lost password is reset with the office's recovery code onto a NEW key pair.

Each function runs Argon2id: call it from a worker thread. Every change is an audit event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crypto import (
    Argon2Params,
    DecryptionError,
    generate_private_key,
    hash_password,
    load_private_key,
    private_key_bytes,
    public_key_bytes,
    unwrap_with_password,
    wrap_with_password,
)
from intake.models import Office
from portal import audit
from portal.auth import CurrentOfficer
from portal.keyring import RecoveryCodeError, grant_all, recovery_keyring
from portal.models import KeyGrant, Officer, OfficerSession, Role
from portal.officers import (
    OfficerError,
    check_password_strength,
    create_officer,
    give_access,
    remove_officer,
    seal_totp_secret,
)
from portal.settings import DeploymentSecret

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed from paper


def initial_password() -> str:
    """A one-time password of 16 random characters (~79 bits) in four groups, shown once."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


@dataclass(frozen=True)
class Credentials:
    """What the new or reset account's owner needs, shown once and never stored in the clear."""

    username: str
    display_name: str
    password: str
    totp_secret: str | None
    keys_granted: int

    @property
    def provisioning_uri(self) -> str:
        if self.totp_secret is None:
            return ""
        return pyotp.TOTP(self.totp_secret).provisioning_uri(name=self.username,
                                                             issuer_name="Hospital Integrity Portal")


@dataclass(frozen=True)
class AccountRow:
    officer: Officer
    keys: int


def accounts(session: Session, *, office_id: int) -> list[AccountRow]:
    keys = dict(session.execute(select(KeyGrant.officer_id, func.count()).group_by(KeyGrant.officer_id)).all())
    officers = session.scalars(select(Officer).where(Officer.office_id == office_id)
                               .order_by(Officer.active.desc(), Officer.id))
    return [AccountRow(officer=o, keys=keys.get(o.id, 0)) for o in officers]


def _target(session: Session, actor: CurrentOfficer, officer_id: int) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None or officer.office_id != actor.office_id:
        raise PermissionError("another office's account")
    return officer


def add_officer(session: Session, *, actor: CurrentOfficer, username: str, display_name: str, role: Role,
                params: Argon2Params, secret: DeploymentSecret) -> Credentials:
    """Create an account; a head also seals the office keys of their session to it (an administrator cannot)."""
    if actor.role is Role.OFFICER:
        raise PermissionError("officers do not manage accounts")
    if actor.role is Role.HEAD and role is Role.ADMIN:
        raise OfficerError("系统管理员账号由系统管理员创建。")
    office = session.get(Office, actor.office_id)
    assert office is not None
    password = initial_password()
    try:
        new = create_officer(session, office=office, username=username, display_name=display_name, role=role,
                             password=password, params=params, secret=secret)
    except OfficerError as exc:
        raise OfficerError(_chinese(str(exc))) from None
    granted = 0
    if actor.role is Role.HEAD and role is not Role.ADMIN:
        granted = give_access(session, officer=new.officer, keyring=actor.keyring,
                              granted_by=session.get(Officer, actor.id))
    audit.record(session, office_id=actor.office_id, officer_id=actor.id, action="officer_created",
                 target=new.officer.username, details={"role": role.value})
    if granted:
        audit.record(session, office_id=actor.office_id, officer_id=actor.id, action="grant",
                     target=new.officer.username, details={"keys": granted})
    return Credentials(username=new.officer.username, display_name=new.officer.display_name, password=password,
                       totp_secret=new.totp_secret, keys_granted=granted)


def _chinese(message: str) -> str:
    if "taken" in message:
        return "该用户名已被使用，请换一个。"
    if "username" in message:
        return "用户名须为 2-63 位小写字母、数字或 . _ -，以字母或数字开头。"
    return "无法创建该账号。"


def grant_access(session: Session, *, actor: CurrentOfficer, officer_id: int) -> int:
    """A head gives an account made by the administrator the office keys of the head's session."""
    if actor.role is not Role.HEAD:
        raise PermissionError("only a head grants access")
    officer = _target(session, actor, officer_id)
    try:
        granted = give_access(session, officer=officer, keyring=actor.keyring,
                              granted_by=session.get(Officer, actor.id))
    except OfficerError:
        raise OfficerError("系统管理员和已停用的账号不能持有密钥。") from None
    audit.record(session, office_id=actor.office_id, officer_id=actor.id, action="grant", target=officer.username,
                 details={"keys": granted})
    return granted


def deactivate(session: Session, *, actor: CurrentOfficer, officer_id: int) -> Officer:
    """Remove an account: its grants and sessions go, so it reads nothing new (the last head stays)."""
    if actor.role is Role.OFFICER:
        raise PermissionError("officers do not manage accounts")
    officer = _target(session, actor, officer_id)
    if officer.id == actor.id:
        raise OfficerError("不能停用自己的账号。")
    if officer.role is Role.HEAD:
        heads = session.scalar(select(func.count()).select_from(Officer).where(
            Officer.office_id == actor.office_id, Officer.role == Role.HEAD, Officer.active.is_(True)))
        if (heads or 0) <= 1:
            raise OfficerError("这是本室唯一的负责人账号，不能停用。")
    remove_officer(session, officer=officer)
    audit.record(session, office_id=actor.office_id, officer_id=actor.id, action="officer_removed",
                 target=officer.username)
    return officer


def reset_password(session: Session, *, actor: CurrentOfficer, officer_id: int, recovery_code: str,
                   new_totp: bool, params: Argon2Params, secret: DeploymentSecret) -> Credentials:
    """Reset a lost password with the office's recovery code.

    The old private key was wrapped under the lost password and is gone: the account gets a NEW key pair, the
    recovery code opens the office keys, and they are sealed to the new key (administrators get none).
    """
    if actor.role is Role.OFFICER:
        raise PermissionError("officers do not manage accounts")
    officer = _target(session, actor, officer_id)
    if officer.id == actor.id:
        raise OfficerError("不能重置自己的密码，请由其他负责人或系统管理员操作。")
    if not officer.active:
        raise OfficerError("该账号已停用。")
    office = session.get(Office, actor.office_id)
    assert office is not None
    try:
        keyring = recovery_keyring(session, office=office, code=recovery_code)
    except RecoveryCodeError:
        raise OfficerError("恢复码不正确：请核对保险柜中的恢复码（8 组，每组 5 个字母或数字）。") from None
    password = initial_password()
    private = generate_private_key()
    officer.password_hash = hash_password(password, params=params)
    officer.public_key = public_key_bytes(private.public_key())
    officer.wrapped_private_key = wrap_with_password(private_key_bytes(private), password, params=params)
    totp_secret = None
    if new_totp:
        totp_secret = pyotp.random_base32()
        officer.totp_secret_sealed = seal_totp_secret(totp_secret, username=officer.username, secret=secret)
        officer.last_totp_step = 0
    session.execute(delete(KeyGrant).where(KeyGrant.officer_id == officer.id))
    session.execute(delete(OfficerSession).where(OfficerSession.officer_id == officer.id))
    session.flush()
    granted = 0 if officer.role is Role.ADMIN else grant_all(
        session, keyring=keyring, officer=officer, granted_by=session.get(Officer, actor.id))
    audit.record(session, office_id=actor.office_id, officer_id=actor.id, action="password_reset",
                 target=officer.username, details={"keys": granted, "new_totp": int(new_totp)})
    return Credentials(username=officer.username, display_name=officer.display_name, password=password,
                       totp_secret=totp_secret, keys_granted=granted)


def change_password(session: Session, *, officer_id: int, old: str, new: str, params: Argon2Params) -> None:
    """An officer replaces their password: only their own key is re-wrapped (grants stay valid)."""
    officer = session.get(Officer, officer_id)
    assert officer is not None
    try:
        private = unwrap_with_password(officer.wrapped_private_key, old)
    except DecryptionError:
        raise OfficerError("当前密码不正确。") from None
    try:
        check_password_strength(new)
    except OfficerError:
        raise OfficerError("新密码至少需要 12 个字符。") from None
    load_private_key(private)  # a sanity check that the unwrapped bytes are a key
    officer.password_hash = hash_password(new, params=params)
    officer.wrapped_private_key = wrap_with_password(private, new, params=params)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="password_changed")
