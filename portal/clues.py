"""The clue ledger's services: make a report a clue or join it to one, enter clues that came by letter, visit or
phone, edit them with optimistic locking and a history, and read them (every reading is an audit event).

Texts that name people or facts are sealed to the office's current public key with associated data that binds
them to their clue and field; only a session's keyring opens them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto import context, load_public_key, seal
from intake.db import utcnow
from intake.models import Department, Office, Submission, SubmissionKind
from intake.workdays import CHINA
from portal import audit
from portal.auth import CurrentOfficer
from portal.clue_models import LABELS, Clue, ClueChange, ClueReport, ClueStatus, FurtherStep
from portal.clue_rules import SEALED_FIELDS, ClueInput
from portal.deadlines import record_notice
from portal.keyring import current_key
from portal.models import Officer

__all__ = ["record_notice"]  # re-exported: a reply on the follow-up page counts as a notice

FIELD_LABELS = {
    "source": "线索来源", "channel": "来信来访方式", "category": "问题类别", "department_id": "科室",
    "person_rank": "人员层级", "received_on": "受理时间", "status": "办理状态", "disposition": "处置方式",
    "further_step": "后续措施", "transfer_to": "移送单位", "handling_mode": "办理方式", "outcome_form": "四种形态",
    "administrative_penalty": "行政处罚", "publicised": "通报问题", "rules_improved": "完善制度",
    "closed_on": "办结时间", "assignee_id": "承办人", "person": "被反映人", "position": "职务",
    "summary": "线索摘要", "result": "处置结果", "notes": "内部备注", "report": "关联举报", "created": "创建线索",
    "transferred": "移交",
}


class ClueError(Exception):
    """The clue cannot be changed as asked; the message (Chinese, translated on the page) says why."""


class ClueNotFound(Exception):
    """No such clue."""


class ForeignClue(Exception):
    """The clue belongs to another office."""


class StaleClue(Exception):
    """Someone saved the clue after this form was opened."""


def field_context(*, office_id: int, clue_id: int, field: str) -> bytes:
    """Associated data of a sealed clue text: it cannot be moved to another clue, field or office."""
    return context("clue-field", "1", str(office_id), str(clue_id), field)


def _seal_text(session: Session, clue: Clue, field: str, text: str) -> bytes | None:
    if not text:
        return None
    key = current_key(session, clue.office_id)
    ad = field_context(office_id=clue.office_id, clue_id=clue.id, field=field)
    return seal(load_public_key(key.public_key), text.encode("utf-8"), associated_data=ad)


def open_texts(clue: Clue, officer: CurrentOfficer, names: tuple[str, ...] = SEALED_FIELDS) -> dict[str, str]:
    """Decrypt a clue's sealed texts with the session's keyring (the caller records the audit event)."""
    texts: dict[str, str] = {}
    for name in names:
        envelope: bytes | None = getattr(clue, f"{name}_sealed")
        ad = field_context(office_id=clue.office_id, clue_id=clue.id, field=name)
        texts[name] = officer.keyring.open(envelope, associated_data=ad).decode("utf-8") if envelope else ""
    return texts


def _display(session: Session, name: str, value: object) -> str:
    """How a plain field's value reads in the history (labels, names), never a sealed text."""
    if value is None or value == "":
        return "—"
    if name == "department_id":
        return session.scalar(select(Department.name).where(Department.id == value)) or "—"
    if name == "assignee_id":
        return session.scalar(select(Officer.display_name).where(Officer.id == value)) or "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    key = {"outcome_form": "outcome_form"}.get(name, name)
    table = LABELS.get(key)
    return table.get(str(value), str(value)) if table else str(value)


def get_clue(session: Session, *, officer: CurrentOfficer, clue_id: int, for_update: bool = False) -> Clue:
    query = select(Clue).where(Clue.id == clue_id)
    clue = session.scalar(query.with_for_update() if for_update else query)
    if clue is None:
        raise ClueNotFound()
    if clue.office_id != officer.office_id:
        raise ForeignClue()
    return clue


def next_number(session: Session, *, office_id: int, year: int) -> str:
    """The next ledger number of the year, e.g. 2025-0007 (the office row is locked so two never collide)."""
    session.execute(select(Office.id).where(Office.id == office_id).with_for_update())
    prefix = f"{year}-"
    count = session.scalar(
        select(func.count()).select_from(Clue).where(Clue.office_id == office_id, Clue.number.startswith(prefix))
    )
    return f"{prefix}{int(count or 0) + 1:04d}"


def _report_of_office(session: Session, *, officer: CurrentOfficer, submission_id: str) -> Submission:
    report = session.get(Submission, submission_id)
    if report is None or report.office_id != officer.office_id or report.kind is not SubmissionKind.REPORT:
        raise ClueError("该举报不存在或不属于本室。")
    if session.get(ClueReport, submission_id) is not None:
        raise ClueError("该举报已并入其他线索。")
    return report


def create_clue(session: Session, *, officer: CurrentOfficer, value: ClueInput,
                submission_id: str | None = None) -> Clue:
    """Enter a new clue, optionally made from a report; seal its texts; record history and audit."""
    report = _report_of_office(session, officer=officer, submission_id=submission_id) if submission_id else None
    now = utcnow()
    clue = Clue(office_id=officer.office_id,
                number=next_number(session, office_id=officer.office_id, year=value.received_on.year),
                created_by=officer.id, created_at=now, updated_at=now, version=1, **value.plain())
    session.add(clue)
    session.flush()
    for name, text in value.texts().items():
        setattr(clue, f"{name}_sealed", _seal_text(session, clue, name, text))
    session.add(ClueChange(clue_id=clue.id, officer_id=officer.id, at=now, version=1, field="created",
                           new_value=clue.number))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="clue_created",
                 target=clue.number, details={"source": clue.source.value})
    if report is not None:
        _link(session, officer=officer, clue=clue, report=report)
    return clue


def _link(session: Session, *, officer: CurrentOfficer, clue: Clue, report: Submission) -> None:
    session.add(ClueReport(submission_id=report.id, clue_id=clue.id, linked_by=officer.id))
    session.add(ClueChange(clue_id=clue.id, officer_id=officer.id, version=clue.version, field="report",
                           new_value=report.id[:8]))
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="report_linked",
                 target=clue.number, details={"submission": report.id})
    if report.status == "received":
        # Entered in the ledger is accepted (受理): the reporter's follow-up page says so from now on.
        report.status = "accepted"
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="status_change",
                     target=report.id, details={"from": "received", "to": "accepted", "result_given": 0})


def link_report(session: Session, *, officer: CurrentOfficer, clue_id: int, submission_id: str) -> Clue:
    """Join a report to an existing clue (并入线索)."""
    clue = get_clue(session, officer=officer, clue_id=clue_id, for_update=True)
    if clue.status is ClueStatus.CLOSED:
        raise ClueError("已销号的线索不能再并入举报，请新建线索。")
    _link(session, officer=officer, clue=clue, report=_report_of_office(session, officer=officer,
                                                                         submission_id=submission_id))
    return clue


def update_clue(session: Session, *, officer: CurrentOfficer, clue_id: int, value: ClueInput,
                version: int) -> list[str]:
    """Save an edit made on a form opened at `version`; refuse (StaleClue) when someone saved since."""
    clue = get_clue(session, officer=officer, clue_id=clue_id, for_update=True)
    if clue.version != version:
        raise StaleClue()
    now = utcnow()
    changes: list[ClueChange] = []
    for name, new in value.plain().items():
        old = getattr(clue, name)
        if old != new:
            changes.append(ClueChange(field=name, old_value=_display(session, name, old)[:200],
                                      new_value=_display(session, name, new)[:200]))
            setattr(clue, name, new)
    current = open_texts(clue, officer)
    for name, text in value.texts().items():
        if current[name] != text:
            # The history says that a sealed text changed, and by whom; never what it said.
            changes.append(ClueChange(field=name, sealed=True))
            setattr(clue, f"{name}_sealed", _seal_text(session, clue, name, text))
    if not changes:
        return []
    if value.status is ClueStatus.CLOSED and clue.result_sealed is None:
        raise ClueError("销号前必须先记录处置结果。")
    status_change = next((c for c in changes if c.field == "status"), None)
    clue.updated_at = now
    clue.version = version + 1
    for change in changes:
        change.clue_id, change.officer_id, change.at, change.version = clue.id, officer.id, now, version + 1
        session.add(change)
    names = [c.field for c in changes]
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="clue_updated",
                 target=clue.number, details={"fields": ",".join(names)}, now=now)
    if status_change is not None:
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="clue_status_changed",
                     target=clue.number, details={"to": clue.status.value}, now=now)
    session.flush()  # raises StaleDataError if another transaction bumped the version meanwhile
    return names


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    officer: str
    field: str
    old: str
    new: str
    sealed: bool


def history(session: Session, *, clue_id: int, after_version: int = 0) -> list[HistoryEntry]:
    """Every change of a clue, newest first (or only those saved after `after_version`)."""
    rows = session.execute(
        select(ClueChange, Officer.display_name).outerjoin(Officer, Officer.id == ClueChange.officer_id)
        .where(ClueChange.clue_id == clue_id, ClueChange.version > after_version).order_by(ClueChange.id.desc())
    ).all()
    return [HistoryEntry(at=c.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), officer=name or "—",
                         field=FIELD_LABELS.get(c.field, c.field), old=c.old_value, new=c.new_value,
                         sealed=c.sealed) for c, name in rows]


def disposition_and_result(clue: Clue, result: str) -> str:
    """The ledger's 处置方式及结果 cell: disposition, further step, outcome form and the result, in that order."""
    if clue.disposition is None:
        return LABELS["status"][clue.status.value]
    parts = [LABELS["disposition"][clue.disposition.value]]
    if clue.further_step is FurtherStep.CASE:
        parts.append("立案审查")
    elif clue.further_step is FurtherStep.TRANSFER and clue.transfer_to is not None:
        parts.append("移送" + LABELS["transfer_to"][clue.transfer_to.value])
    if clue.outcome_form:
        parts.append(LABELS["outcome_form"][str(clue.outcome_form)])
    if result:
        parts.append("结果：" + result)
    return "；".join(parts)


def source_label(clue: Clue) -> str:
    label = LABELS["source"][clue.source.value]
    return f"{label}（{LABELS['channel'][clue.channel.value]}）" if clue.channel else label


def departments_of(session: Session, *, office_id: int) -> list[Department]:
    """The departments an office's clues may name: its hospital's (the authority's: every hospital's)."""
    hospital_id = session.scalar(select(Office.hospital_id).where(Office.id == office_id))
    query = select(Department).where(Department.retired_at.is_(None)).order_by(Department.hospital_id, Department.id)
    if hospital_id is not None:
        query = query.where(Department.hospital_id == hospital_id)
    return list(session.scalars(query))


def open_clues(session: Session, *, office_id: int) -> list[Clue]:
    """Clues a report may still join (not closed), newest first."""
    return list(session.scalars(select(Clue).where(Clue.office_id == office_id, Clue.status != ClueStatus.CLOSED)
                                .order_by(Clue.id.desc())))


def linked_reports(session: Session, *, clue_id: int) -> list[Submission]:
    return list(session.scalars(select(Submission).join(ClueReport, ClueReport.submission_id == Submission.id)
                                .where(ClueReport.clue_id == clue_id).order_by(Submission.created_hour)))


def clue_of_report(session: Session, *, submission_id: str) -> Clue | None:
    return session.scalar(select(Clue).join(ClueReport, ClueReport.clue_id == Clue.id)
                          .where(ClueReport.submission_id == submission_id))


def form_values(clue: Clue, texts: dict[str, str]) -> dict[str, str]:
    """A clue as the strings its edit form shows."""
    values = {name: "" if value is None else str(value.value if hasattr(value, "value") else value)
              for name, value in ((n, getattr(clue, n)) for n in EDITABLE_PLAIN)}
    values["administrative_penalty"] = "1" if clue.administrative_penalty else ""
    values["publicised"] = "1" if clue.publicised else ""
    values["received_on"] = clue.received_on.isoformat()
    values["closed_on"] = clue.closed_on.isoformat() if clue.closed_on else ""
    values.update(texts)
    return values


EDITABLE_PLAIN = ("source", "channel", "category", "department_id", "person_rank", "status", "disposition",
                  "further_step", "transfer_to", "handling_mode", "outcome_form", "rules_improved", "assignee_id")
