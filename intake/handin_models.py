"""Tables of the red-envelope hand-in register (红包上缴登记) and the certificates (上缴凭证) it issues.

Plain: what lists, deadlines and verification need without a key (department via the submission, dates, the
exact registration time, the form of the gift, the workflow state and handling kind). Sealed: everything that
names a person or a sum (staff, patient, circumstance, witness, amount, items, slip number, handler, notes).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Blob, RandomId, UTCDateTime
from intake.models import Submission, _enum


class GiftForm(enum.StrEnum):
    CASH = "cash"  # 现金
    SHOPPING_CARD = "card"  # 购物卡、消费卡
    GIFT = "gift"  # 礼品
    OTHER = "other"  # 其他


class Handling(enum.StrEnum):
    RETURNED = "returned"  # 退还患者
    DEPOSIT = "deposit"  # 冲抵住院预交金（单据号）
    FINANCE = "finance"  # 上交财务


class HandInState(enum.StrEnum):
    REGISTERED = "registered"  # 已登记，待纪委确认收到实物
    CONFIRMED = "confirmed"  # 纪委已确认收到
    HANDLED = "handled"  # 已处理（退还 / 冲抵 / 上交财务）


# The submission's own status, kept in step so that the office inbox reads right.
SUBMISSION_STATUS = {HandInState.REGISTERED: "received", HandInState.CONFIRMED: "accepted",
                     HandInState.HANDLED: "closed"}


class HandIn(Base):
    """One registration; its details are the submission's sealed envelope."""

    __tablename__ = "handins"

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    registration_number: Mapped[str] = mapped_column(String(24), unique=True)
    # The time is the staff member's proof: kept exact, to the second, in UTC (reports keep only the hour).
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    form: Mapped[GiftForm] = mapped_column(_enum(GiftForm, "gift_form"))
    working_days: Mapped[int] = mapped_column(Integer)
    deadline_days: Mapped[int] = mapped_column(Integer)  # the limit in force when it was registered
    late: Mapped[bool] = mapped_column(default=False)
    state: Mapped[HandInState] = mapped_column(_enum(HandInState, "handin_state"), default=HandInState.REGISTERED)
    # Officer ids without a foreign key: the public side's tables do not depend on the office's.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    confirmed_by: Mapped[int | None] = mapped_column(Integer, default=None)
    confirmation_envelope: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    handling: Mapped[Handling | None] = mapped_column(_enum(Handling, "handin_handling"), default=None)
    handled_on: Mapped[date | None] = mapped_column(Date, default=None)
    handling_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    handling_recorded_by: Mapped[int | None] = mapped_column(Integer, default=None)
    handling_envelope: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    submission: Mapped[Submission] = relationship()


class HandInCertificate(Base):
    """A signed certificate. The signature covers a digest of the sealed statement, so that the public
    verification page checks it with the office's verify key alone and learns nothing it does not show."""

    __tablename__ = "handin_certificates"

    id: Mapped[RandomId]
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("handins.submission_id", ondelete="CASCADE"), index=True
    )
    office_key_id: Mapped[int] = mapped_column(ForeignKey("office_keys.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    statement_for_office: Mapped[Blob]  # the canonical statement sealed to the office key
    pdf_for_staff: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # sealed to the receipt's key
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
