"""The audit trail: every read, export, change and grant as a link of a per-office hash chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import GENESIS, ChainError, canonical_event, link_hash, verify_chain
from intake.db import utcnow
from intake.models import Office
from portal.models import AuditEvent


def _fields(event: AuditEvent) -> dict[str, str | int | None]:
    return {
        "office": event.office_id,
        "seq": event.seq,
        "at": event.created_at.isoformat(timespec="microseconds"),
        "officer": event.officer_id,
        "action": event.action,
        "target": event.target,
        "details": event.details,
    }


def record(
    session: Session,
    *,
    office_id: int,
    officer_id: int | None,
    action: str,
    target: str = "",
    details: dict[str, str | int] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event to the office's chain (the office row is locked so that links never fork)."""
    session.execute(select(Office.id).where(Office.id == office_id).with_for_update())
    last = session.scalar(
        select(AuditEvent).where(AuditEvent.office_id == office_id).order_by(AuditEvent.seq.desc()).limit(1)
    )
    event = AuditEvent(
        office_id=office_id,
        seq=(last.seq + 1) if last else 1,
        created_at=now or utcnow(),
        officer_id=officer_id,
        action=action,
        target=target,
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
    )
    event.hash = link_hash(last.hash if last else GENESIS, canonical_event(_fields(event)))
    session.add(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: bytes
    broken_at_seq: int | None


def verify(session: Session, *, office_id: int) -> ChainReport:
    """Recompute the office's chain; report the first event whose link does not hold."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.office_id == office_id).order_by(AuditEvent.seq)
    ).all()
    pairs = [(canonical_event(_fields(event)), event.hash) for event in events]
    try:
        head = verify_chain(pairs)
    except ChainError as exc:
        return ChainReport(events=len(events), head=b"", broken_at_seq=events[exc.index].seq)
    gaps = [e.seq for i, e in enumerate(events) if e.seq != i + 1]
    if gaps:
        return ChainReport(events=len(events), head=b"", broken_at_seq=gaps[0])
    return ChainReport(events=len(events), head=head, broken_at_seq=None)
