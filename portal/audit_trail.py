"""Reading the audit chain for the office head: filtered events with readable labels, and verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.workdays import CHINA
from portal import audit
from portal.models import AuditEvent, Officer

ACTION_LABELS = {
    "office_created": "设立本室", "login": "登录", "login_failed": "登录失败", "logout": "退出登录",
    "open_submission": "查阅举报", "decryption_failed": "解密失败", "view_identity": "查看实名身份",
    "status_changed": "变更举报状态", "reply_sent": "答复举报人",
    "clue_created": "登记线索", "clue_updated": "修改线索", "clue_status_changed": "变更线索状态",
    "open_clue": "查阅线索", "ledger_viewed": "查阅线索台帐", "report_linked": "举报并入线索",
    "notice_recorded": "记录告知", "assigned": "分派事项", "export": "导出报表",
    "officer_created": "新增人员", "officer_removed": "停用人员", "grant": "授予密钥",
    "password_reset": "重置密码", "audit_verified": "校验审计日志", "officer_added": "新增人员",
}
PAGE_SIZE = 500


@dataclass(frozen=True)
class EventRow:
    seq: int
    at: str
    officer: str
    action: str
    action_label: str
    target: str
    details: str


@dataclass(frozen=True)
class EventFilter:
    officer_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None


def _china_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA)


def list_events(session: Session, *, office_id: int, wanted: EventFilter) -> tuple[list[EventRow], bool]:
    """The newest events first (at most PAGE_SIZE), and whether more matched."""
    query = (select(AuditEvent, Officer.display_name).outerjoin(Officer, Officer.id == AuditEvent.officer_id)
             .where(AuditEvent.office_id == office_id))
    if wanted.officer_id is not None:
        query = query.where(AuditEvent.officer_id == wanted.officer_id)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.since:
        query = query.where(AuditEvent.created_at >= _china_start(wanted.since))
    if wanted.until:
        query = query.where(AuditEvent.created_at < _china_start(wanted.until + timedelta(days=1)))
    rows = session.execute(query.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE + 1)).all()
    events = [EventRow(seq=e.seq, at=e.created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                       officer=name or "系统", action=e.action, action_label=ACTION_LABELS.get(e.action, e.action),
                       target=e.target, details="" if e.details == "{}" else e.details)
              for e, name in rows[:PAGE_SIZE]]
    return events, len(rows) > PAGE_SIZE


def actions_seen(session: Session, *, office_id: int) -> list[str]:
    return sorted(session.scalars(select(AuditEvent.action).where(AuditEvent.office_id == office_id).distinct()))


def officers_of(session: Session, *, office_id: int) -> list[Officer]:
    return list(session.scalars(select(Officer).where(Officer.office_id == office_id).order_by(Officer.id)))


def verify_and_record(session: Session, *, office_id: int, officer_id: int) -> audit.ChainReport:
    """Recompute the chain, then append the verification itself (after the check, so it cannot hide a break)."""
    report = audit.verify(session, office_id=office_id)
    audit.record(session, office_id=office_id, officer_id=officer_id, action="audit_verified",
                 details={"events": report.events, "ok": int(report.broken_at_seq is None)})
    return report
