"""The conversation about a report: office replies, results and reporter answers, each sealed twice.

Every message is sealed to the office key (so that any officer of the office reads it) and to the reporter's
key from the receipt (so that only the holder of the receipt code reads it on the follow-up page).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from crypto import PrivateKey, PublicKey, context, open_envelope, seal
from intake.db import Base, Blob, RandomId, Timestamp, this_hour
from intake.models import Submission, _enum
from intake.sealing import FORMAT, decode_payload, encode_payload


class MessageKind(enum.StrEnum):
    REPLY = "reply"  # the office writes to the reporter
    RESULT = "result"  # the office gives the result it chose to tell, with a status change
    ANSWER = "answer"  # the reporter writes back (text and extra files)


class Message(Base):
    """One message of a report's conversation. Times are kept to the hour, like the report's."""

    __tablename__ = "report_messages"
    __table_args__ = (UniqueConstraint("submission_id", "seq"),)

    id: Mapped[RandomId]
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "message_kind"))
    status: Mapped[str] = mapped_column(String(20), default="")  # the status a RESULT set
    for_office: Mapped[Blob]
    for_reporter: Mapped[Blob]
    created_hour: Mapped[Timestamp]


def message_context(*, submission_id: str, seq: int, kind: MessageKind, reader: str) -> bytes:
    """A message cannot be moved to another report, another place in the thread, or another reader."""
    return context("message", FORMAT, submission_id, str(seq), kind.value, reader)


def _next_seq(session: Session, submission: Submission) -> int:
    # Lock the report's row so that an office reply and a reporter answer never take the same number.
    session.execute(select(Submission.id).where(Submission.id == submission.id).with_for_update())
    last = session.scalar(select(func.max(Message.seq)).where(Message.submission_id == submission.id))
    return int(last or 0) + 1


def add_message(
    session: Session,
    *,
    submission: Submission,
    kind: MessageKind,
    payload: dict[str, Any],
    office_key: PublicKey,
    reporter_key: PublicKey,
    status: str = "",
) -> Message:
    """Seal a message to the office and to the reporter, in memory, and store both envelopes."""
    seq = _next_seq(session, submission)
    raw = encode_payload({"v": 1, **payload})

    def sealed(key: PublicKey, reader: str) -> bytes:
        ad = message_context(submission_id=submission.id, seq=seq, kind=kind, reader=reader)
        return seal(key, raw, associated_data=ad)

    row = Message(submission_id=submission.id, seq=seq, kind=kind, status=status,
                  for_office=sealed(office_key, "office"), for_reporter=sealed(reporter_key, "reporter"),
                  created_hour=this_hour())
    session.add(row)
    return row


@dataclass(frozen=True)
class OpenedMessage:
    seq: int
    kind: MessageKind
    status: str
    created_hour: datetime
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def attachments(self) -> list[dict[str, Any]]:
        found = self.payload.get("attachments", [])
        return found if isinstance(found, list) else []


def messages_of(session: Session, submission_id: str) -> list[Message]:
    return list(session.scalars(select(Message).where(Message.submission_id == submission_id)
                                .order_by(Message.seq)))


def open_for_reporter(message: Message, reporter: PrivateKey) -> OpenedMessage:
    ad = message_context(submission_id=message.submission_id, seq=message.seq, kind=message.kind, reader="reporter")
    return _opened(message, open_envelope(reporter, message.for_reporter, associated_data=ad))


def office_context(message: Message) -> bytes:
    return message_context(submission_id=message.submission_id, seq=message.seq, kind=message.kind, reader="office")


def opened_with(message: Message, plaintext: bytes) -> OpenedMessage:
    return _opened(message, plaintext)


def _opened(message: Message, plaintext: bytes) -> OpenedMessage:
    return OpenedMessage(seq=message.seq, kind=message.kind, status=message.status,
                         created_hour=message.created_hour, payload=decode_payload(plaintext))
