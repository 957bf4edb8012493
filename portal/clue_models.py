"""The clue ledger's tables (问题线索台帐): clues, the reports they came from, their history, assignments of
inbox items and the notices given to real-name reporters. Text that names people or facts is sealed."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UTCDateTime, utcnow
from intake.models import _enum


class ClueSource(enum.StrEnum):  # 线索来源 (seed 002, attachment 3)
    PETITION = "petition"  # 信访举报
    ACCUSATION = "accusation"  # 检举控告
    INSPECTION = "inspection"  # 巡视巡察
    ASSIGNED_FROM_ABOVE = "assigned"  # 上级纪委监委交办
    AUDIT = "audit"  # 审计发现
    JUDICIAL_TRANSFER = "judicial"  # 政法机关移送
    SELF_FOUND = "self_found"  # 自行发现


class Channel(enum.StrEnum):  # how a 信访举报 arrived
    ONLINE = "online"  # 网络 (this portal)
    LETTER = "letter"  # 来信
    VISIT = "visit"  # 来访
    PHONE = "phone"  # 来电


class ReportCategory(enum.StrEnum):  # 举报类别 (DOMAIN.md)
    RED_ENVELOPE = "red_envelope"
    SOLICITING = "soliciting"
    KICKBACK = "kickback"
    OVERTREATMENT = "overtreatment"
    OUTSIDE_REFERRAL = "outside_referral"
    SLOT_SELLING = "slot_selling"
    IMPROPER_FEES = "improper_fees"
    PHARMA_REP = "pharma_rep"
    OTHER = "other"


class ClueStatus(enum.StrEnum):
    PENDING = "pending"  # 待处置
    HANDLING = "handling"  # 处置中
    CLOSED = "closed"  # 已销号


class Disposition(enum.StrEnum):  # the four ways (四种处置方式)
    TALK_AND_INQUIRY = "talk_inquiry"  # 谈话函询
    PRELIMINARY_VERIFICATION = "verification"  # 初步核实
    HOLD = "hold"  # 暂存待查
    CONCLUDE = "conclude"  # 予以了结


class FurtherStep(enum.StrEnum):
    NONE = "none"
    CASE = "case"  # 立案审查
    TRANSFER = "transfer"  # 移送


class TransferTo(enum.StrEnum):
    DISCIPLINE = "discipline"  # 纪检监察机关
    POLICE = "police"  # 公安
    MARKET = "market"  # 市场监管
    HEALTH_INSURANCE = "insurance"  # 医保
    DRUGS = "drugs"  # 药监
    TAX = "tax"  # 税务


class HandlingMode(enum.StrEnum):  # 办理方式
    SELF = "self"  # 自办
    TRANSFERRED = "transferred"  # 转办
    ASSIGNED = "assigned"  # 交办
    SUPERVISED = "supervised"  # 督办


class PersonRank(enum.StrEnum):  # for the summary table's 处理人员 columns
    MIDDLE = "middle"  # 中层人员
    OTHER = "other"  # 其他


class NoticeKind(enum.StrEnum):
    ACCEPTANCE = "acceptance"  # 受理告知
    RESULT = "result"  # 结果告知


LABELS: dict[str, dict[str, str]] = {
    "source": {"petition": "信访举报", "accusation": "检举控告", "inspection": "巡视巡察",
               "assigned": "上级纪委监委交办", "audit": "审计发现", "judicial": "政法机关移送",
               "self_found": "自行发现"},
    "channel": {"online": "网络", "letter": "来信", "visit": "来访", "phone": "来电"},
    "category": {"red_envelope": "收受“红包”", "soliciting": "索要财物、吃拿卡要",
                 "kickback": "回扣、带金销售、开单提成", "overtreatment": "过度诊疗",
                 "outside_referral": "院外购药、转介第三方", "slot_selling": "号源床源谋利",
                 "improper_fees": "乱收费、欺诈骗保", "pharma_rep": "医药代表不当接触",
                 "other": "其他违反廉洁从业规定"},
    "status": {"pending": "待处置", "handling": "处置中", "closed": "已销号"},
    "disposition": {"talk_inquiry": "谈话函询", "verification": "初步核实", "hold": "暂存待查",
                    "conclude": "予以了结"},
    "further_step": {"none": "无", "case": "立案审查", "transfer": "移送"},
    "transfer_to": {"discipline": "纪检监察机关", "police": "公安机关", "market": "市场监管部门",
                    "insurance": "医保部门", "drugs": "药品监管部门", "tax": "税务部门"},
    "handling_mode": {"self": "自办", "transferred": "转办", "assigned": "交办", "supervised": "督办"},
    "outcome_form": {"1": "第一种形态", "2": "第二种形态", "3": "第三种形态", "4": "第四种形态"},
    "person_rank": {"middle": "中层人员", "other": "其他人员"},
    "notice": {"acceptance": "受理告知", "result": "结果告知"},
}


class Clue(Base):
    """One clue (问题线索). Only categorical workflow fields are plain; the rest is sealed to the office key."""

    __tablename__ = "clues"
    __table_args__ = (UniqueConstraint("office_id", "number"), Index("ix_clues_office_status", "office_id", "status"),
                      # The ledger's order (migration 0011): a page reads its 100 rows, nothing is sorted.
                      Index("ix_clues_office_received_id", "office_id", "received_on", "id"),
                      # The inbox's category filter (migration 0012): the clues of a category without their texts.
                      Index("ix_clues_office_category", "office_id", "category", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    number: Mapped[str] = mapped_column(String(20))
    source: Mapped[ClueSource] = mapped_column(_enum(ClueSource, "clue_source"))
    channel: Mapped[Channel | None] = mapped_column(_enum(Channel, "clue_channel"), default=None)
    category: Mapped[ReportCategory | None] = mapped_column(_enum(ReportCategory, "report_category"), default=None)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    person_rank: Mapped[PersonRank | None] = mapped_column(_enum(PersonRank, "person_rank"), default=None)
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ClueStatus] = mapped_column(_enum(ClueStatus, "clue_status"), default=ClueStatus.PENDING)
    disposition: Mapped[Disposition | None] = mapped_column(_enum(Disposition, "disposition"), default=None)
    further_step: Mapped[FurtherStep] = mapped_column(_enum(FurtherStep, "further_step"), default=FurtherStep.NONE)
    transfer_to: Mapped[TransferTo | None] = mapped_column(_enum(TransferTo, "transfer_to"), default=None)
    handling_mode: Mapped[HandlingMode] = mapped_column(_enum(HandlingMode, "handling_mode"),
                                                        default=HandlingMode.SELF)
    outcome_form: Mapped[int | None] = mapped_column(Integer, default=None)  # 四种形态 1-4
    administrative_penalty: Mapped[bool] = mapped_column(default=False)  # 行政处罚
    publicised: Mapped[bool] = mapped_column(default=False)  # 通报问题
    rules_improved: Mapped[int] = mapped_column(Integer, default=0)  # 完善制度（个数）
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    person_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # 被反映人
    position_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # 职务
    summary_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # 线索摘要
    result_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # 处置结果
    notes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # 内部备注
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    # Optimistic locking: every UPDATE carries "WHERE version = <read version>", so a concurrent edit fails. The
    # service bumps the number once per saved edit (not per flush), so the form's version means "one edit".
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class ClueReport(Base):
    """A report that became, or joined, a clue. A report belongs to one clue at most."""

    __tablename__ = "clue_reports"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClueChange(Base):
    """One changed field of a clue. Sealed fields are recorded as changed, never with their text."""

    __tablename__ = "clue_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clues.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(String(200), default="")
    new_value: Mapped[str] = mapped_column(String(200), default="")
    sealed: Mapped[bool] = mapped_column(default=False)


class WorkAssignment(Base):
    """Who handles an inbox item (a report, a rating alert, a hand-in...), kept apart from the item's table."""

    __tablename__ = "work_assignments"

    item_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReporterNotice(Base):
    """A notice given to a real-name reporter (受理告知, 结果告知): a reply on the follow-up page, a call, a letter."""

    __tablename__ = "reporter_notices"
    __table_args__ = (UniqueConstraint("submission_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind, "notice_kind"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(20), default="reply")
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
