"""Tables the public side writes or reads: the organisation, office public keys, sealed submissions, receipts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Blob, RandomId, Timestamp, UTCDateTime, utcnow


class DepartmentCategory(enum.StrEnum):
    FUNCTIONAL = "functional"  # 职能科室
    CLINICAL = "clinical"  # 临床科室
    MEDICAL_TECHNICAL = "medtech"  # 医技科室


class OfficeKind(enum.StrEnum):
    HOSPITAL = "hospital"  # 医院纪委 / 纪检监察室
    AUTHORITY = "authority"  # 上级纪检监察机构


class SubmissionKind(enum.StrEnum):
    REPORT = "report"  # 举报
    RATING = "rating"  # 行风满意度评价
    HAND_IN = "handin"  # 红包上缴登记


class Audience(enum.StrEnum):
    PATIENT = "patient"
    STAFF = "staff"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Hospital(Base):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    departments: Mapped[list[Department]] = relationship(back_populates="hospital", order_by="Department.id")


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hospital_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[DepartmentCategory] = mapped_column(_enum(DepartmentCategory, "department_category"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    hospital: Mapped[Hospital] = relationship(back_populates="departments")


class Office(Base):
    """A discipline office: one per hospital, and one for the higher authority over them."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OfficeKind] = mapped_column(_enum(OfficeKind, "office_kind"))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(200))
    hotline: Mapped[str] = mapped_column(String(100), default="")
    # The recovery key's public half: every office key is also sealed to it, so that the head's safe can
    # restore access. Its private half is derived from the code printed once at set-up.
    recovery_public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    keys: Mapped[list[OfficeKey]] = relationship(back_populates="office", order_by="OfficeKey.id")
    hospital: Mapped[Hospital | None] = relationship()


class OfficeKey(Base):
    """One generation of an office's key pair. The private half exists only sealed, never in the clear."""

    __tablename__ = "office_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(8), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    verify_key: Mapped[bytes] = mapped_column(LargeBinary)  # Ed25519 public key for certificates
    sealed_signing_key: Mapped[bytes] = mapped_column(LargeBinary)  # Ed25519 seed sealed to public_key
    sealed_for_recovery: Mapped[bytes] = mapped_column(LargeBinary)  # P-256 scalar sealed to the recovery key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    office: Mapped[Office] = relationship(back_populates="keys")


class Poster(Base):
    """A printed QR code: a short code that always resolves to the same hospital, department and audience."""

    __tablename__ = "posters"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    audience: Mapped[Audience] = mapped_column(_enum(Audience, "audience"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # First time the office printed it: from then on the code is on a wall and must keep answering.
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    hospital: Mapped[Hospital] = relationship()
    department: Mapped[Department | None] = relationship()


class Submission(Base):
    """Anything a patient or a staff member sent, as a sealed envelope. Only categorical fields are plain."""

    __tablename__ = "submissions"
    # The inbox's order (newest hour first, then id) read straight from the index: see migration 0010.
    __table_args__ = (Index("ix_submissions_office_hour_id", "office_id", "created_hour", "id"),
                      # The authority's per-hospital counts (migration 0008_region): read from the index alone.
                      Index("ix_submissions_office_kind_status_hour", "office_id", "kind", "status", "created_hour"),
                      # The unified inbox (migration 0012): its filters, counters and order read from the index
                      # alone; real-name reports (a few percent) found without reading the others.
                      # Reports only: ratings, thousands a second, do not pay for it.
                      Index("ix_submissions_inbox", "office_id", "kind", "created_hour", "id", "status",
                            "department_id", sqlite_where=text("kind = 'report'"),
                            postgresql_where=text("kind = 'report'")),
                      Index("ix_submissions_real_name", "office_id", "kind", "created_hour", "id",
                            sqlite_where=text("identity_envelope IS NOT NULL"),
                            postgresql_where=text("identity_envelope IS NOT NULL")))

    id: Mapped[RandomId]
    kind: Mapped[SubmissionKind] = mapped_column(_enum(SubmissionKind, "submission_kind"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    envelope: Mapped[Blob]
    # Real name and contact, sealed apart so that reading a report does not reveal who sent it.
    identity_envelope: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    sealed_in_browser: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="received")
    created_hour: Mapped[Timestamp]

    attachments: Mapped[list[Attachment]] = relationship(back_populates="submission")


class Attachment(Base):
    """A file sealed in chunks with its own key; the key and the file name travel inside the envelope."""

    __tablename__ = "attachments"

    id: Mapped[RandomId]
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    header: Mapped[Blob]
    sealed_size: Mapped[int] = mapped_column(Integer)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class AttachmentChunk(Base):
    __tablename__ = "attachment_chunks"

    attachment_id: Mapped[str] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[Blob]


class Receipt(Base):
    """A receipt code's only trace: its peppered Argon2id lookup hash, and the reporter key it unwraps."""

    __tablename__ = "receipts"

    lookup: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    reporter_public_key: Mapped[Blob]
    wrapped_reporter_key: Mapped[Blob]


class Throttle(Base):
    """A counter for a window (failed logins, receipt guesses, open ratings); keys are keyed hashes."""

    __tablename__ = "throttles"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
