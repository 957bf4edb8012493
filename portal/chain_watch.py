"""The authority recomputes each office's audit chain and remembers the head it saw.

`audit.verify` finds an edited or deleted event in the middle of a chain, but deleting the NEWEST events leaves
a shorter chain that still verifies. So every check is compared with the last good observation: the event at the
observed sequence number must still exist with the observed hash. Events hold no plaintext, so the authority can
recompute any office's chain without any key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.models import Office
from portal import audit
from portal.models import AuditEvent
from portal.region_models import ChainObservation


@dataclass(frozen=True)
class ChainStatus:
    office_id: int
    office_name: str
    observation: ChainObservation | None

    @property
    def head_hex(self) -> str:
        return self.observation.head.hex() if self.observation and self.observation.head else ""


def _last_good(session: Session, office_id: int) -> ChainObservation | None:
    return session.scalar(select(ChainObservation).where(ChainObservation.office_id == office_id,
                                                         ChainObservation.ok.is_(True))
                          .order_by(ChainObservation.id.desc()).limit(1))


def observe(session: Session, *, office_id: int, authority_office_id: int, officer_id: int | None,
            now: datetime | None = None) -> ChainObservation:
    """Verify one office's chain, compare with the last good observation, store and audit the result."""
    report = audit.verify(session, office_id=office_id)
    baseline = _last_good(session, office_id)
    problem = "broken" if report.broken_at_seq is not None else ""
    if not problem and baseline is not None and baseline.events:
        kept = session.scalar(select(AuditEvent.hash).where(AuditEvent.office_id == office_id,
                                                            AuditEvent.seq == baseline.events))
        if report.events < baseline.events or kept != baseline.head:
            problem = "truncated"
    row = ChainObservation(office_id=office_id, events=report.events, head=report.head, ok=not problem,
                           problem=problem, broken_at_seq=report.broken_at_seq, verified_at=now or utcnow(),
                           verified_by=officer_id)
    session.add(row)
    details: dict[str, str | int] = {"events": report.events, "ok": int(not problem)}
    if problem:
        details["problem"] = problem
    audit.record(session, office_id=authority_office_id, officer_id=officer_id, action="chain_verified",
                 target=f"office:{office_id}", details=details)
    return row


def observe_all(session: Session, *, authority_office_id: int, officer_id: int | None) -> list[ChainObservation]:
    """Every office's chain, the authority's own last (so that its record of this check is in what it saw)."""
    ids = [i for i in session.scalars(select(Office.id).order_by(Office.id)) if i != authority_office_id]
    found = [observe(session, office_id=i, authority_office_id=authority_office_id, officer_id=officer_id)
             for i in ids]
    found.append(observe(session, office_id=authority_office_id, authority_office_id=authority_office_id,
                         officer_id=officer_id))
    return found


def statuses(session: Session) -> dict[int, ChainStatus]:
    """The latest observation of every office (whether good or not), by office id."""
    latest = select(ChainObservation.office_id, func.max(ChainObservation.id).label("id")).group_by(
        ChainObservation.office_id).subquery()
    observations = {o.office_id: o for o in session.scalars(
        select(ChainObservation).join(latest, latest.c.id == ChainObservation.id))}
    return {office.id: ChainStatus(office_id=office.id, office_name=office.name,
                                   observation=observations.get(office.id))
            for office in session.scalars(select(Office).order_by(Office.id))}
