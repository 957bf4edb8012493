"""Moving a clue between offices: 交办 (the authority hands it down to a hospital office) and 上报 (a hospital
office passes it up to the authority).

Everything sealed travels: the clue's texts, and each linked report's envelope, identity envelope and the office
copy of its conversation, are opened in memory with the sender's session keyring and sealed again to the receiving
office's current public key (a clue text with the receiver's context, since its context names office and clue).
The reports then belong to the receiver. The sender keeps its ledger entry, closed and emptied of every sealed
text, with a transfer record: who received it under which number. Both audit chains record the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto import load_public_key, seal
from intake.conversation import messages_of, office_context
from intake.db import utcnow
from intake.models import Department, Hospital, Office, OfficeKind, Submission
from intake.sealing import identity_context, submission_context
from portal import audit
from portal.auth import CurrentOfficer
from portal.clue_models import Clue, ClueChange, ClueReport, ClueSource, ClueStatus, HandlingMode, WorkAssignment
from portal.clue_rules import SEALED_FIELDS
from portal.clues import ClueError, _seal_text, get_clue, linked_reports, next_number, open_texts
from portal.keyring import current_key
from portal.models import Role
from portal.region_models import ClueTransfer, TransferDirection


@dataclass(frozen=True)
class Destination:
    office_id: int
    name: str


def destinations(session: Session, *, office_id: int) -> list[Destination]:
    """Where this office may send a clue: the authority to any hospital office, a hospital only upwards."""
    office = session.get(Office, office_id)
    assert office is not None
    if office.kind is OfficeKind.AUTHORITY:
        rows = session.execute(select(Office.id, Hospital.name).join(Hospital, Hospital.id == Office.hospital_id)
                               .where(Office.kind == OfficeKind.HOSPITAL).order_by(Hospital.id)).all()
        return [Destination(office_id=i, name=name) for i, name in rows]
    authority = session.scalar(select(Office).where(Office.kind == OfficeKind.AUTHORITY))
    return [Destination(office_id=authority.id, name=authority.name)] if authority else []


def record_of(session: Session, *, clue_id: int) -> ClueTransfer | None:
    """The transfer that sent this clue away, or brought it in."""
    return session.scalar(select(ClueTransfer).where(
        (ClueTransfer.from_clue_id == clue_id) | (ClueTransfer.to_clue_id == clue_id)))


def office_names(session: Session, *ids: int) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Office.id, Office.name).where(Office.id.in_(ids)))}


def _reseal_report(report: Submission, officer: CurrentOfficer, receiver_key: bytes) -> None:
    """Open in memory with the sender's keys, seal to the receiver; the plaintext is never stored."""
    public = load_public_key(receiver_key)
    place = {"kind": report.kind, "hospital_id": report.hospital_id, "department_id": report.department_id}
    ad = submission_context(**place)
    report.envelope = seal(public, officer.keyring.open(report.envelope, associated_data=ad), associated_data=ad)
    if report.identity_envelope is not None:
        ad = identity_context(**place)
        report.identity_envelope = seal(public, officer.keyring.open(report.identity_envelope, associated_data=ad),
                                        associated_data=ad)


def transfer(session: Session, *, officer: CurrentOfficer, clue_id: int, to_office_id: int,
             today: date) -> ClueTransfer:
    """Move one clue with its reports to another office (the caller's transaction makes it all or nothing)."""
    if officer.role is not Role.HEAD or not officer.can_read:
        raise PermissionError("only an office head transfers clues")
    clue = get_clue(session, officer=officer, clue_id=clue_id, for_update=True)
    if session.scalar(select(ClueTransfer.id).where(ClueTransfer.from_clue_id == clue.id)) is not None:
        raise ClueError("该线索已经移交，不能再次移交。")
    if clue.status is ClueStatus.CLOSED:
        raise ClueError("已销号的线索不能移交。")
    allowed = {d.office_id for d in destinations(session, office_id=officer.office_id)}
    if to_office_id not in allowed:
        raise ClueError("请选择接收单位。")
    sender, receiver = session.get(Office, officer.office_id), session.get(Office, to_office_id)
    assert sender is not None and receiver is not None
    direction = TransferDirection.DOWN if sender.kind is OfficeKind.AUTHORITY else TransferDirection.UP
    reports = linked_reports(session, clue_id=clue.id)
    if direction is TransferDirection.DOWN and any(r.hospital_id != receiver.hospital_id for r in reports):
        raise ClueError("该线索关联的举报来自其他医院，只能交办给该医院。")
    texts = open_texts(clue, officer)
    now = utcnow()
    department_id = clue.department_id
    if receiver.hospital_id is not None and department_id is not None and session.scalar(
            select(Department.hospital_id).where(Department.id == department_id)) != receiver.hospital_id:
        department_id = None
    moved = Clue(office_id=receiver.id, number=next_number(session, office_id=receiver.id, year=today.year),
                 source=ClueSource.ASSIGNED_FROM_ABOVE if direction is TransferDirection.DOWN else clue.source,
                 channel=None if direction is TransferDirection.DOWN else clue.channel, category=clue.category,
                 department_id=department_id, person_rank=clue.person_rank, received_on=today,
                 status=ClueStatus.PENDING, handling_mode=HandlingMode.SELF, created_at=now, updated_at=now,
                 version=1)
    session.add(moved)
    session.flush()
    for name in SEALED_FIELDS:
        setattr(moved, f"{name}_sealed", _seal_text(session, moved, name, texts[name]))
    receiver_key = current_key(session, receiver.id).public_key
    for report in reports:
        _reseal_report(report, officer, receiver_key)
        for message in messages_of(session, report.id):
            ad = office_context(message)
            message.for_office = seal(load_public_key(receiver_key),
                                      officer.keyring.open(message.for_office, associated_data=ad),
                                      associated_data=ad)
        report.office_id = receiver.id
        link = session.get(ClueReport, report.id)
        assert link is not None
        link.clue_id = moved.id
        session.execute(delete(WorkAssignment).where(WorkAssignment.item_kind == "report",
                                                     WorkAssignment.item_ref == report.id))
    # The sender's entry stays in its ledger, closed, with no sealed text left.
    for name in SEALED_FIELDS:
        setattr(clue, f"{name}_sealed", None)
    clue.status, clue.closed_on, clue.assignee_id = ClueStatus.CLOSED, today, None
    clue.handling_mode = HandlingMode.ASSIGNED if direction is TransferDirection.DOWN else HandlingMode.TRANSFERRED
    clue.updated_at, clue.version = now, clue.version + 1
    session.add(ClueChange(clue_id=clue.id, officer_id=officer.id, at=now, version=clue.version,
                           field="transferred", new_value=f"{receiver.name} {moved.number}"[:200]))
    session.add(ClueChange(clue_id=moved.id, officer_id=None, at=now, version=1, field="transferred",
                           new_value=f"{sender.name} {clue.number}"[:200]))
    row = ClueTransfer(direction=direction, from_office_id=sender.id, to_office_id=receiver.id,
                       from_clue_id=clue.id, to_clue_id=moved.id, from_number=clue.number, to_number=moved.number,
                       reports=len(reports), officer_id=officer.id, at=now)
    session.add(row)
    audit.record(session, office_id=sender.id, officer_id=officer.id, action="clue_transferred",
                 target=clue.number, details={"direction": direction.value, "to_office": receiver.id,
                                              "to_number": moved.number, "reports": len(reports)}, now=now)
    audit.record(session, office_id=receiver.id, officer_id=None, action="clue_received", target=moved.number,
                 details={"direction": direction.value, "from_office": sender.id, "from_number": clue.number,
                          "reports": len(reports)}, now=now)
    session.flush()
    return row


def transfers_of(session: Session, *, office_id: int) -> list[ClueTransfer]:
    """Every transfer this office sent or received, newest first (numbers and dates only)."""
    return list(session.scalars(select(ClueTransfer).where(
        (ClueTransfer.from_office_id == office_id) | (ClueTransfer.to_office_id == office_id))
        .order_by(ClueTransfer.id.desc())))


@dataclass(frozen=True)
class TransferPanel:
    """What a clue page shows about transfers: the record (sent or received) or where it may be sent."""

    record: ClueTransfer | None
    sent: bool
    other_office: str
    destinations: list[Destination]
    down: bool = False  # the form hands down (交办) rather than up (上报)


def panel(session: Session, *, officer: CurrentOfficer, clue: Clue) -> TransferPanel:
    record = record_of(session, clue_id=clue.id)
    if record is None:
        office = session.get(Office, officer.office_id)
        return TransferPanel(record=None, sent=False, other_office="",
                             down=office is not None and office.kind is OfficeKind.AUTHORITY,
                             destinations=destinations(session, office_id=officer.office_id)
                             if officer.role is Role.HEAD and clue.status is not ClueStatus.CLOSED else [])
    sent = record.from_clue_id == clue.id
    other = record.to_office_id if sent else record.from_office_id
    return TransferPanel(record=record, sent=sent, other_office=office_names(session, other).get(other, ""),
                         destinations=[])
