"""The office's tables: officers, their grants of the office key, sessions and the audit chain."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, UTCDateTime, utcnow
from intake.models import Office, OfficeKey, _enum


class Role(enum.StrEnum):
    OFFICER = "officer"  # reads and handles what the office receives
    HEAD = "head"  # also grants access and reads the audit log
    ADMIN = "admin"  # accounts and settings; holds no key, reads nothing


class Officer(Base):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_enum(Role, "officer_role"))
    password_hash: Mapped[str] = mapped_column(String(200))
    # The TOTP secret, encrypted under a key derived from the deployment secret (not in the database).
    totp_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    last_totp_step: Mapped[int] = mapped_column(Integer, default=0)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)  # Argon2id(password) wrap
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    office: Mapped[Office] = relationship()


class KeyGrant(Base):
    """One office key generation sealed to one officer's public key."""

    __tablename__ = "key_grants"
    __table_args__ = (UniqueConstraint("office_key_id", "officer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_key_id: Mapped[int] = mapped_column(ForeignKey("office_keys.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    office_key: Mapped[OfficeKey] = relationship()


class OfficerSession(Base):
    """A login. The office keys are held here only under a session key that lives in the officer's cookie."""

    __tablename__ = "officer_sessions"

    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), index=True)
    sealed_keys: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    officer: Mapped[Officer] = relationship()


class AuditEvent(Base):
    """One link of an office's tamper-evident audit chain. Details never hold submitted content."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("office_id", "seq"),
        Index("ix_audit_events_office_time", "office_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
