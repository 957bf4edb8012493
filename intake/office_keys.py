"""The key a hospital's new submissions are sealed to: remembered by each worker so that sealing happens before
the write lock is taken, and confirmed inside the write transaction so that a rotation is never missed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.orm import Session

from crypto import PublicKey, load_public_key
from intake.group_commit import Group
from intake.models import Office, OfficeKey

# Built once: composing a select costs more than running it.
_CURRENT = (
    select(OfficeKey.office_id, OfficeKey.key_id, OfficeKey.public_key)
    .join(Office, Office.id == OfficeKey.office_id)
    .where(Office.hospital_id == bindparam("hospital_id"), OfficeKey.retired_at.is_(None))
    .order_by(OfficeKey.id.desc())
    .limit(1)
)


@dataclass(frozen=True)
class SealingKey:
    office_id: int
    key_id: bytes
    public_bytes: bytes
    public_key: PublicKey


def current_sealing_key(executor: Connection | Session, hospital_id: int, *,
                        known: SealingKey | None = None) -> SealingKey:
    """The hospital's office and its current key, read now (`known` is returned if it still is the one)."""
    row = executor.execute(_CURRENT, {"hospital_id": hospital_id}).first()
    if row is None:
        raise LookupError(f"hospital {hospital_id} has no office key")
    office_id, key_id, public_bytes = row
    if known is not None and known.office_id == office_id and known.key_id == key_id:
        return known
    return SealingKey(office_id, bytes(key_id), bytes(public_bytes), load_public_key(bytes(public_bytes)))


class SealingKeys:
    """One worker's memory of each hospital's current key. `remembered` may be stale (another worker rotated the
    key): whatever was sealed with it is checked against `confirmed` under the write lock before it is stored."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: dict[int, SealingKey] = {}

    def remembered(self, hospital_id: int) -> SealingKey:
        known = self._known.get(hospital_id)
        if known is None:
            with self._engine.connect() as connection:
                known = current_sealing_key(connection, hospital_id)
                connection.rollback()
            self._known[hospital_id] = known
        return known

    def confirmed(self, group: Group, hospital_id: int) -> SealingKey:
        """The current key as the open write transaction sees it (read once per group and hospital)."""
        memo_key = ("sealing-key", hospital_id)
        key: SealingKey | None = group.memo.get(memo_key)
        if key is None:
            key = current_sealing_key(group.connection, hospital_id, known=self._known.get(hospital_id))
            self._known[hospital_id] = key
            group.memo[memo_key] = key
        return key
