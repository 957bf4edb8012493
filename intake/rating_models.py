"""Tables the rating form writes: which sealed submissions are ratings (verified or open, counted yet or not),
and one-time rating codes kept only as keyed hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, Blob, UTCDateTime, utcnow


class Rating(Base):
    """The plain workflow facts of a rating; its answers are in the submission's envelope."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_office_counted", "office_id", "counted"),)

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    # Sent with a valid one-time code from a settlement or discharge slip; which code is not kept.
    verified: Mapped[bool] = mapped_column(default=False)
    # Set in the same transaction that adds the rating to the sealed counters: never counted twice.
    counted: Mapped[bool] = mapped_column(default=False)


class RatingCodeBatch(Base):
    """A batch of one-time codes for slips. The codes themselves exist only sealed to the office."""

    __tablename__ = "rating_code_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    # The department whose poster the slips point to (none: the hospital-wide rating page).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    label: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    sealed_codes: Mapped[Blob]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RatingCode(Base):
    """An unused code, as HMAC(deployment pepper, code). Using it deletes the row: no trace of when or by whom."""

    __tablename__ = "rating_codes"

    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("rating_code_batches.id", ondelete="CASCADE"), index=True)
