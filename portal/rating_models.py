"""The office's rating tables: sealed counters per department and month, and sealed alerts raised by ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, Blob, RandomId, Timestamp, UTCDateTime, utcnow


class RatingCounter(Base):
    """Answer counts of one (department, month), sealed under a key derived from an office key generation."""

    __tablename__ = "rating_counters"
    __table_args__ = (UniqueConstraint("office_id", "department_key", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    department_key: Mapped[int] = mapped_column(Integer)  # a department's id, or 0 for "no department chosen"
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in China time
    key_id: Mapped[bytes] = mapped_column(LargeBinary(8))
    sealed: Mapped[Blob]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertStatus:
    NEW = "new"
    HANDLED = "handled"


class RatingAlert(Base):
    """A rating that may be a clue (red envelope asked for, or a comment); its answers sealed to the office."""

    __tablename__ = "rating_alerts"

    id: Mapped[RandomId]
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), unique=True, default=None
    )
    created_hour: Mapped[Timestamp]
    envelope: Mapped[Blob]
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.NEW)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
