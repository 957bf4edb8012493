"""Tables of a region: clue transfers between offices (交办 / 上报) and the authority's observations of each
office's audit chain head. Neither holds any submitted or officer-written content."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UTCDateTime, utcnow
from intake.models import _enum


class TransferDirection(enum.StrEnum):
    DOWN = "down"  # 交办: the authority hands a clue to a hospital office
    UP = "up"  # 上报: a hospital office passes a clue to the authority


class ClueTransfer(Base):
    """One clue moved to another office. The sender's clue stays in its ledger, emptied of sealed text."""

    __tablename__ = "clue_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[TransferDirection] = mapped_column(_enum(TransferDirection, "transfer_direction"))
    from_office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    to_office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    from_clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id"), unique=True)
    to_clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id"), unique=True)
    from_number: Mapped[str] = mapped_column(String(20))
    to_number: Mapped[str] = mapped_column(String(20))
    reports: Mapped[int] = mapped_column(Integer, default=0)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChainObservation(Base):
    """What the authority saw when it recomputed an office's audit chain: how many events, and the head.

    A later check compares with the last good observation: fewer events, or another hash at the observed
    sequence number, means the newest events were deleted or rewritten (a truncated chain still verifies).
    """

    __tablename__ = "chain_observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    events: Mapped[int] = mapped_column(Integer)
    head: Mapped[bytes] = mapped_column(LargeBinary(32), default=b"")
    ok: Mapped[bool] = mapped_column(default=True)
    problem: Mapped[str] = mapped_column(String(20), default="")  # "", "broken", "truncated"
    broken_at_seq: Mapped[int | None] = mapped_column(Integer, default=None)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
