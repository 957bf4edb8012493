"""Rotating an office's key: a new generation for new submissions, the old ones kept to read what they sealed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.models import Office, OfficeKey
from portal import audit
from portal.keyring import Keyring, add_office_key, grant
from portal.models import KeyGrant, Officer, OfficerSession, Role


class RotationError(Exception):
    """The key cannot be rotated as asked; the message says why."""


@dataclass(frozen=True)
class Rotated:
    key_id: bytes
    retired: int
    officers_granted: list[str]


def rotate_office_key(session: Session, *, office: Office, keyring: Keyring, by: Officer | None) -> Rotated:
    """In the caller's single transaction: a new key pair (sealed to the recovery key), granted to every active
    officer who holds the current key, the previous generations retired (they still open what they sealed), and
    the office's sessions ended so that everyone logs in again with the new key in their keyring.

    A crash before the commit leaves the old state whole; after it, the new one.
    """
    current = session.scalars(select(OfficeKey).where(OfficeKey.office_id == office.id,
                                                      OfficeKey.retired_at.is_(None))).all()
    if not current:
        raise RotationError("this office has no key to rotate")
    if not any(row.key_id in keyring.keys for row in current):
        raise RotationError("the credentials given do not open this office's current key")
    holders = session.scalars(
        select(Officer).join(KeyGrant, KeyGrant.officer_id == Officer.id)
        .where(Officer.office_id == office.id, Officer.active.is_(True), Officer.role != Role.ADMIN,
               KeyGrant.office_key_id.in_([row.id for row in current]))
        .distinct().order_by(Officer.id)
    ).all()
    row, private = add_office_key(session, office=office)
    session.flush()
    now = utcnow()
    for old in current:
        old.retired_at = now
    for officer in holders:
        grant(session, office_key=row, private_key=private, officer=officer, granted_by=by)
    officer_ids = select(Officer.id).where(Officer.office_id == office.id)
    session.execute(delete(OfficerSession).where(OfficerSession.officer_id.in_(officer_ids)))
    audit.record(session, office_id=office.id, officer_id=by.id if by else None, action="office_key_rotated",
                 target=row.key_id.hex(), details={"retired": len(current), "granted": len(holders)})
    return Rotated(key_id=row.key_id, retired=len(current), officers_granted=[o.username for o in holders])
