"""Filing a report: to the hospital's office or, escalated, to the higher authority; with its receipt.

Both paths end here: the plain form (sealed on arrival, in memory) and the browser-sealed envelope (stored as
it came). The submission, its attachments and its receipt are written in one transaction, before the receipt is
shown: once a reporter sees a code, the report is on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from crypto import Argon2Params, FormatError, envelope_key_id, load_public_key, seal
from intake.attachments import UnreadableImage
from intake.chooser import Place
from intake.db import Base, new_id, this_hour
from intake.group_commit import Group
from intake.models import Attachment, Office, OfficeKey, OfficeKind, SubmissionKind
from intake.receipts import PreparedReceipt, prepare_receipt
from intake.report_form import ReportInput
from intake.sealing import encode_payload, identity_context, submission_context
from intake.uploads import ParsedUpload, SealedAttachment, seal_all


class ReportRefused(Exception):
    """A browser-sealed report that cannot be stored as it came (wrong key, bad ids); nothing is stored."""


class KeyRotated(Exception):
    """The report was sealed to a key its office has replaced meanwhile (a rotation in another process); nothing
    is stored. The plain form is sealed again to the new key; a browser's envelope cannot be."""


@dataclass(frozen=True)
class Recipient:
    office_id: int
    office_name: str
    key_id: bytes
    public_key: bytes


@dataclass(frozen=True)
class Recipients:
    """Where a report from this hospital can go: its own office, and the higher authority over it."""

    hospital: Recipient
    authority: Recipient | None

    def for_key(self, key_id: bytes) -> Recipient | None:
        return next((r for r in (self.hospital, self.authority) if r is not None and r.key_id == key_id), None)


# The office key that new envelopes are sealed to (built once: composing a select costs more than running it).
_CURRENT_KEY = (select(OfficeKey).where(OfficeKey.office_id == bindparam("office_id"), OfficeKey.retired_at.is_(None))
                .order_by(OfficeKey.id.desc()).limit(1))
_CURRENT_KEY_ID = _CURRENT_KEY.with_only_columns(OfficeKey.key_id)


def current_office_key(session: Session, office_id: int) -> OfficeKey:
    """The office key that new envelopes are sealed to."""
    key = session.scalar(_CURRENT_KEY, {"office_id": office_id})
    if key is None:
        raise LookupError(f"office {office_id} has no key")
    return key


class RecipientsMemory:
    """One worker's memory of where each hospital's reports can go, so that a report's submission reads nothing
    before its Argon2id (the reads cost a millisecond of the event loop per report). It may be stale after a
    rotation elsewhere: `store_report` checks the key under the write lock, and the route then asks `fresh`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: dict[int, Recipients] = {}

    def remembered(self, hospital_id: int) -> Recipients:
        return self._known.get(hospital_id) or self.fresh(hospital_id)

    def fresh(self, hospital_id: int) -> Recipients:
        with Session(self._engine) as session:
            found = self._known[hospital_id] = recipients(session, hospital_id=hospital_id)
        return found


def _recipient(session: Session, office: Office) -> Recipient:
    key = current_office_key(session, office.id)
    return Recipient(office_id=office.id, office_name=office.name, key_id=key.key_id, public_key=key.public_key)


def recipients(session: Session, *, hospital_id: int) -> Recipients:
    hospital_office = session.scalar(select(Office).where(Office.hospital_id == hospital_id))
    if hospital_office is None:
        raise LookupError(f"hospital {hospital_id} has no office")
    authority = session.scalar(select(Office).where(Office.kind == OfficeKind.AUTHORITY))
    return Recipients(hospital=_recipient(session, hospital_office),
                      authority=_recipient(session, authority) if authority else None)


@dataclass
class PlainReady:
    """A plain report sealed in memory, with its receipt: everything needed to write it, nothing in the clear."""

    envelope: bytes
    identity: bytes | None
    attachments: list[SealedAttachment]
    receipt: PreparedReceipt
    office_id: int
    sealed_to: bytes
    department_id: int | None


def prepare_plain(report: ReportInput, upload: ParsedUpload, *, place: Place, to: Recipient,
                  pepper: bytes, params: Argon2Params) -> PlainReady:
    """Strip and seal the held photos, seal the report and identity, draw the receipt. Runs in a worker thread."""
    return _sealed(report, seal_all(upload), place=place, to=to,
                   receipt=prepare_receipt(pepper=pepper, params=params))


def seal_again(ready: PlainReady, report: ReportInput, *, place: Place, to: Recipient) -> PlainReady:
    """The same report sealed to another key (its office's new one, after a rotation): the attachments, sealed
    with keys of their own, and the receipt already drawn are kept."""
    return _sealed(report, ready.attachments, place=place, to=to, receipt=ready.receipt)


def _sealed(report: ReportInput, attachments: list[SealedAttachment], *, place: Place, to: Recipient,
            receipt: PreparedReceipt) -> PlainReady:
    descriptions = [a.description for a in attachments if a.description is not None]
    department_id = place.department_id or report.department_id
    key = load_public_key(to.public_key)
    where = {"kind": SubmissionKind.REPORT, "hospital_id": place.hospital_id, "department_id": department_id}
    envelope = seal(key, encode_payload(report.payload(descriptions)), associated_data=submission_context(**where))
    identity_payload = report.identity_payload()
    identity = (seal(key, encode_payload(identity_payload), associated_data=identity_context(**where))
                if identity_payload else None)
    return PlainReady(envelope=envelope, identity=identity, attachments=attachments, receipt=receipt,
                      office_id=to.office_id, sealed_to=to.key_id, department_id=department_id)


def routed(envelope: bytes, identity: bytes | None, to: Recipients) -> Recipient:
    """The office a browser-sealed report goes to, read from the key it was sealed to."""
    try:
        key_id = envelope_key_id(envelope)
        if identity is not None and envelope_key_id(identity) != key_id:
            raise ReportRefused("the identity is sealed to another key than the report")
    except FormatError:
        raise ReportRefused("not an envelope") from None
    recipient = to.for_key(key_id)
    if recipient is None:
        raise ReportRefused("sealed to a key that is not this hospital's office nor the higher authority")
    return recipient



_SUBMISSIONS, _ATTACHMENTS, _CHUNKS, _RECEIPTS = (
    Base.metadata.tables[name] for name in ("submissions", "attachments", "attachment_chunks", "receipts"))
_IDS_TAKEN = select(Attachment.id).where(Attachment.id.in_(bindparam("ids", expanding=True))).limit(1)


def store_report(group: Group, *, place: Place, office_id: int, sealed_to: bytes, department_id: int | None,
                 envelope: bytes, identity: bytes | None, attachments: list[SealedAttachment],
                 receipt: PreparedReceipt, sealed_in_browser: bool) -> str:
    """Queue the submission, its attachments and its receipt in the group's transaction; return its id.
    Raises KeyRotated if `sealed_to` is no longer the office's current key, ReportRefused if an attachment id is
    taken (nothing of it written). Core rows, not ORM objects: a flush cost a millisecond per report."""
    connection = group.connection
    memo_key = ("office-key", office_id)
    current = group.memo.get(memo_key)
    if current is None:
        found = connection.execute(_CURRENT_KEY_ID, {"office_id": office_id}).scalar()
        current = group.memo[memo_key] = bytes(found) if found is not None else b""
    if current != sealed_to:
        raise KeyRotated(f"office {office_id} has another key now")
    ids = [a.id for a in attachments]
    if ids and connection.execute(_IDS_TAKEN, {"ids": ids}).first() is not None:
        raise ReportRefused("an attachment id is already taken")
    submission_id = new_id()
    group.insert(_SUBMISSIONS, {
        "id": submission_id, "kind": SubmissionKind.REPORT, "office_id": office_id, "hospital_id": place.hospital_id,
        "department_id": department_id, "envelope": envelope, "identity_envelope": identity,
        "sealed_in_browser": sealed_in_browser, "status": "received", "created_hour": this_hour(),
    })
    for attachment in attachments:
        group.insert(_ATTACHMENTS, {"id": attachment.id, "submission_id": submission_id, "header": attachment.header,
                                    "sealed_size": len(attachment.header) + sum(map(len, attachment.chunks))})
        for index, chunk in enumerate(attachment.chunks):
            group.insert(_CHUNKS, {"attachment_id": attachment.id, "index": index, "data": chunk})
    group.insert(_RECEIPTS, {"lookup": receipt.lookup, "submission_id": submission_id,
                             "reporter_public_key": receipt.reporter_public_key,
                             "wrapped_reporter_key": receipt.wrapped_reporter_key})
    return submission_id


__all__ = ["KeyRotated", "PlainReady", "Recipient", "Recipients", "RecipientsMemory", "ReportRefused",
           "UnreadableImage", "prepare_plain", "recipients", "routed", "seal_again", "store_report"]
