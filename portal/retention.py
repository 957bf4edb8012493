"""Retention: submissions older than their kind's period are deleted with everything that hangs off them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, func, select, text
from sqlalchemy.orm import Session

from intake.db import Base
from intake.models import Submission, SubmissionKind
from portal import audit

# A report or a hand-in is deleted only once closed: an open case is never lost to a clock.
CLOSED_FIRST = frozenset({SubmissionKind.REPORT, SubmissionKind.HAND_IN})
CLOSED = "closed"


@dataclass(frozen=True)
class Purged:
    deleted: dict[str, int]  # kind -> submissions deleted
    kept_open: dict[str, int]  # kind -> expired but still open, kept


def _expired(kind: SubmissionKind, cutoff: datetime) -> ColumnElement[bool]:
    condition = (Submission.kind == kind) & (Submission.created_hour < cutoff)
    if kind in CLOSED_FIRST:
        condition = condition & (Submission.status == CLOSED)
    return condition


def _delete_tree(session: Session, table: Table, where: ColumnElement[bool]) -> None:
    """Delete rows and, first, every row of any table that refers to them (found on the metadata, so that
    tables added by later issues are covered without touching this module)."""
    for child in Base.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table and child is not table:
                _delete_tree(session, child, fk.parent.in_(select(fk.column).where(where)))
    session.execute(delete(table).where(where))


def purge(session: Session, *, periods: dict[SubmissionKind, timedelta], now: datetime,
          dry_run: bool = False) -> Purged:
    """Delete expired submissions in the caller's transaction; one audit event per office that lost any."""
    if session.get_bind().dialect.name == "sqlite":
        # Freed pages are overwritten with zeros (the engine sets it on connect too; this makes it explicit).
        session.execute(text("PRAGMA secure_delete=ON"))
    deleted: dict[str, int] = {}
    kept: dict[str, int] = {}
    per_office: dict[int, dict[str, int]] = {}
    for kind, period in periods.items():
        cutoff = now - period
        where = _expired(kind, cutoff)
        for office_id, count in session.execute(select(Submission.office_id, func.count()).where(where)
                                                .group_by(Submission.office_id)).all():
            per_office.setdefault(office_id, {})[kind.value] = int(count)
            deleted[kind.value] = deleted.get(kind.value, 0) + int(count)
        if kind in CLOSED_FIRST:
            kept[kind.value] = int(session.scalar(select(func.count()).where(
                Submission.kind == kind, Submission.created_hour < cutoff, Submission.status != CLOSED)) or 0)
        if not dry_run:
            _delete_tree(session, Submission.__table__, where)  # type: ignore[arg-type]
    if not dry_run:
        for office_id, counts in sorted(per_office.items()):
            audit.record(session, office_id=office_id, officer_id=None, action="retention_purge",
                         details={**counts, "run_on": now.date().isoformat()})
    return Purged(deleted=deleted, kept_open=kept)
