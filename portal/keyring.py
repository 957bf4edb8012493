"""Office keys: their creation, their grants to officers, the recovery code, and a keyring held by a session."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import (
    DecryptionError,
    PrivateKey,
    context,
    envelope_key_id,
    generate_private_key,
    generate_signing_key,
    hkdf,
    key_id,
    load_private_key,
    load_public_key,
    load_signing_key,
    open_envelope,
    private_key_bytes,
    public_key_bytes,
    seal,
    signing_key_bytes,
    verify_key_bytes,
)
from crypto.signing import SigningKey
from intake.models import Office, OfficeKey
from portal.models import KeyGrant, Officer

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_KEY_ENTRY = 8 + 32


class RecoveryCodeError(Exception):
    """A recovery code that is not the one printed at set-up."""


class NoAccessError(Exception):
    """The officer holds no key that opens this."""


def new_recovery_code() -> str:
    """200 random bits as 8 groups of 5 base32 characters, for the head's safe."""
    text = base64.b32encode(secrets.token_bytes(25)).decode("ascii")
    return "-".join(text[i : i + 5] for i in range(0, 40, 5))


def recovery_private_key(code: str) -> PrivateKey:
    """The P-256 key that a recovery code stands for (derived, never stored)."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    try:
        raw = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        raise RecoveryCodeError("a recovery code is 40 letters and digits in 8 groups of 5") from None
    if len(raw) != 25:
        raise RecoveryCodeError("a recovery code is 40 letters and digits in 8 groups of 5")
    material = int.from_bytes(hkdf(raw, info=b"hip-recovery-key-v1", length=48), "big")
    scalar = material % (_P256_ORDER - 1) + 1
    return load_private_key(scalar.to_bytes(32, "big"))


def _grant_context(key: bytes, officer_id: int) -> bytes:
    return context("office-key-grant", key.hex(), str(officer_id))


def _recovery_context(key: bytes) -> bytes:
    return context("office-key-recovery", key.hex())


def _signing_context(key: bytes) -> bytes:
    return context("office-signing-key", key.hex())


@dataclass(frozen=True)
class Keyring:
    """The office private keys one officer may use, by key id."""

    keys: Mapping[bytes, PrivateKey]

    def open(self, envelope: bytes, *, associated_data: bytes) -> bytes:
        key = self.keys.get(envelope_key_id(envelope))
        if key is None:
            raise NoAccessError("this was sealed to an office key you do not hold")
        return open_envelope(key, envelope, associated_data=associated_data)

    def private_key(self, office_key: OfficeKey) -> PrivateKey:
        key = self.keys.get(office_key.key_id)
        if key is None:
            raise NoAccessError("you do not hold this office key")
        return key

    def signing_key(self, office_key: OfficeKey) -> SigningKey:
        seed = open_envelope(
            self.private_key(office_key),
            office_key.sealed_signing_key,
            associated_data=_signing_context(office_key.key_id),
        )
        return load_signing_key(seed)

    def to_bytes(self) -> bytes:
        return b"".join(kid + private_key_bytes(key) for kid, key in sorted(self.keys.items()))

    @classmethod
    def from_bytes(cls, raw: bytes) -> Keyring:
        if len(raw) % _KEY_ENTRY:
            raise ValueError("keyring bytes have the wrong length")
        entries = (raw[i : i + _KEY_ENTRY] for i in range(0, len(raw), _KEY_ENTRY))
        return cls({entry[:8]: load_private_key(entry[8:]) for entry in entries})

    @classmethod
    def empty(cls) -> Keyring:
        return cls({})


def create_office(
    session: Session, *, office: Office, recovery_code: str | None = None
) -> tuple[OfficeKey, PrivateKey, str]:
    """Give a new office its recovery code and first key pair; return the key row, private key and code."""
    code = recovery_code or new_recovery_code()
    office.recovery_public_key = public_key_bytes(recovery_private_key(code).public_key())
    session.add(office)
    row, private = add_office_key(session, office=office)
    return row, private, code


def add_office_key(session: Session, *, office: Office) -> tuple[OfficeKey, PrivateKey]:
    """A new generation of the office key pair, its signing key sealed to it and the whole to the recovery key."""
    private = generate_private_key()
    public = private.public_key()
    kid = key_id(public)
    signing = generate_signing_key()
    row = OfficeKey(
        office=office,
        key_id=kid,
        public_key=public_key_bytes(public),
        verify_key=verify_key_bytes(signing),
        sealed_signing_key=seal(public, signing_key_bytes(signing), associated_data=_signing_context(kid)),
        sealed_for_recovery=seal(
            load_public_key(office.recovery_public_key),
            private_key_bytes(private),
            associated_data=_recovery_context(kid),
        ),
    )
    session.add(row)
    return row, private


def current_key(session: Session, office_id: int) -> OfficeKey:
    """The office key that new submissions are sealed to."""
    row = session.scalar(
        select(OfficeKey)
        .where(OfficeKey.office_id == office_id, OfficeKey.retired_at.is_(None))
        .order_by(OfficeKey.id.desc())
        .limit(1)
    )
    if row is None:
        raise LookupError(f"office {office_id} has no key")
    return row


def grant(
    session: Session,
    *,
    office_key: OfficeKey,
    private_key: PrivateKey,
    officer: Officer,
    granted_by: Officer | None,
) -> KeyGrant:
    """Seal one office key to an officer's public key."""
    session.flush()
    row = KeyGrant(
        office_key_id=office_key.id,
        officer_id=officer.id,
        sealed_private_key=seal(
            load_public_key(officer.public_key),
            private_key_bytes(private_key),
            associated_data=_grant_context(office_key.key_id, officer.id),
        ),
        granted_by=granted_by.id if granted_by else None,
    )
    session.add(row)
    return row


def grant_all(session: Session, *, keyring: Keyring, officer: Officer, granted_by: Officer | None) -> int:
    """Give an officer every key of their office that the granting keyring holds."""
    rows = session.scalars(select(OfficeKey).where(OfficeKey.office_id == officer.office_id)).all()
    count = 0
    for row in rows:
        if row.key_id in keyring.keys:
            grant(session, office_key=row, private_key=keyring.keys[row.key_id], officer=officer,
                  granted_by=granted_by)
            count += 1
    return count


def officer_keyring(session: Session, *, officer: Officer, officer_private: PrivateKey) -> Keyring:
    """Open every grant an officer holds."""
    grants: Iterable[KeyGrant] = session.scalars(
        select(KeyGrant).join(OfficeKey).where(
            KeyGrant.officer_id == officer.id, OfficeKey.office_id == officer.office_id
        )
    )
    keys: dict[bytes, PrivateKey] = {}
    for row in grants:
        kid = row.office_key.key_id
        raw = open_envelope(officer_private, row.sealed_private_key, associated_data=_grant_context(kid, officer.id))
        keys[kid] = load_private_key(raw)
    return Keyring(keys)


def recovery_keyring(session: Session, *, office: Office, code: str) -> Keyring:
    """Open every key of an office with its recovery code."""
    private = recovery_private_key(code)
    if public_key_bytes(private.public_key()) != office.recovery_public_key:
        raise RecoveryCodeError("this recovery code does not belong to this office")
    keys: dict[bytes, PrivateKey] = {}
    for row in session.scalars(select(OfficeKey).where(OfficeKey.office_id == office.id)):
        try:
            raw = open_envelope(private, row.sealed_for_recovery, associated_data=_recovery_context(row.key_id))
        except DecryptionError:
            raise RecoveryCodeError("the recovery seal of an office key does not open") from None
        keys[row.key_id] = load_private_key(raw)
    return Keyring(keys)

