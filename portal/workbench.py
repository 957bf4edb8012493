"""The unified inbox: everything waiting for the office, from pluggable sources, with filters and assignment.

A source is a function returning `InboxItem`s for one kind of work. Reports are the first; rating alerts,
pending hand-ins and replies from reporters plug in with `register_source` when their tables exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.labels import STATUS
from intake.models import Department, Submission, SubmissionKind
from portal import audit
from portal.auth import CurrentOfficer
from portal.clue_models import Clue, ClueReport, WorkAssignment
from portal.deadlines import Deadline, DeadlineState, deadlines_for
from portal.models import Officer, Role
from portal.settings import Settings


@dataclass(frozen=True)
class InboxItem:
    kind: str  # the source's key: "report", later "rating_alert", "handin", "reply"
    ref: str  # the item's id within its kind
    url: str
    received: datetime
    department_id: int | None
    department: str
    category: str | None  # a ReportCategory value, once known (reports are sealed: from their clue)
    status: str  # a key of `status_label`'s table
    status_label: str
    finished: bool
    real_name: bool = False
    clue_id: int | None = None
    clue_number: str = ""
    deadlines: tuple[Deadline, ...] = ()
    assignee_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def overdue(self) -> bool:
        return any(d.state is DeadlineState.OVERDUE for d in self.deadlines)

    @property
    def due_soon(self) -> bool:
        return any(d.state is DeadlineState.DUE_SOON for d in self.deadlines)

    @property
    def waiting(self) -> bool:
        """Still needs the office: not finished, or a notice is still owed."""
        return not self.finished or any(d.state is not DeadlineState.DONE for d in self.deadlines)


@dataclass(frozen=True)
class WorkContext:
    office_id: int
    today: date
    settings: Settings
    assignments: dict[tuple[str, str], int] = field(default_factory=dict)


Source = Callable[[Session, WorkContext], list[InboxItem]]
Owns = Callable[[Session, str, int], bool]  # (session, ref, office_id): may this office assign the item?
SOURCES: dict[str, tuple[str, Source]] = {}
OWNERSHIP: dict[str, Owns] = {}


def register_source(kind: str, label: str, source: Source, owns: Owns) -> None:
    """Plug a kind of work into the inbox (label: its Chinese name, translated on the page)."""
    SOURCES[kind] = (label, source)
    OWNERSHIP[kind] = owns


def report_source(session: Session, ctx: WorkContext) -> list[InboxItem]:
    """Reports sent to this office, with their clue, deadlines and assignee (plain fields only, no key)."""
    rows = session.execute(
        select(Submission, Department.name, Clue.id, Clue.number, Clue.category)
        .outerjoin(Department, Department.id == Submission.department_id)
        .outerjoin(ClueReport, ClueReport.submission_id == Submission.id)
        .outerjoin(Clue, Clue.id == ClueReport.clue_id)
        .where(Submission.office_id == ctx.office_id, Submission.kind == SubmissionKind.REPORT)
        .order_by(Submission.created_hour.desc(), Submission.id)
        .limit(2000)
    ).all()
    deadlines = deadlines_for(session, [r[0] for r in rows], today=ctx.today,
                              acceptance_workdays=ctx.settings.acceptance_notice_workdays,
                              result_workdays=ctx.settings.result_notice_workdays)
    return [
        InboxItem(kind="report", ref=s.id, url=f"/office/submissions/{s.id}", received=s.created_hour,
                  department_id=s.department_id, department=dept or "", category=category.value if category else None,
                  status=s.status, status_label=STATUS.get(s.status, s.status), finished=s.status == "closed",
                  real_name=s.identity_envelope is not None, clue_id=clue_id, clue_number=number or "",
                  deadlines=tuple(deadlines.get(s.id, ())), assignee_id=ctx.assignments.get(("report", s.id)))
        for s, dept, clue_id, number, category in rows
    ]


def _report_of(session: Session, ref: str, office_id: int) -> bool:
    found = session.scalar(select(Submission.office_id).where(Submission.id == ref,
                                                              Submission.kind == SubmissionKind.REPORT))
    return found == office_id


register_source("report", "举报", report_source, _report_of)


@dataclass(frozen=True)
class InboxFilter:
    kind: str = ""
    status: str = ""
    department_id: int | None = None
    category: str = ""
    assignee: str = ""  # "", "none", "me" or an officer id
    due: str = ""  # "", "overdue", "due" (overdue or due soon)
    show: str = "waiting"  # "waiting" or "all"

    def keeps(self, item: InboxItem, *, me: int) -> bool:
        checks = [
            not self.kind or item.kind == self.kind,
            not self.status or item.status == self.status,
            self.department_id is None or item.department_id == self.department_id,
            not self.category or item.category == self.category,
            self.show == "all" or item.waiting,
            not self.due or item.overdue or (self.due == "due" and item.due_soon),
        ]
        if self.assignee == "none":
            checks.append(item.assignee_id is None)
        elif self.assignee == "me":
            checks.append(item.assignee_id == me)
        elif self.assignee.isdigit():
            checks.append(item.assignee_id == int(self.assignee))
        return all(checks)


def inbox_items(session: Session, *, officer: CurrentOfficer, settings: Settings, today: date,
                wanted: InboxFilter) -> list[InboxItem]:
    """Every source's items for the officer's office, filtered; overdue first, then newest."""
    assignments = {(a.item_kind, a.item_ref): a.assignee_id for a in session.scalars(
        select(WorkAssignment).where(WorkAssignment.office_id == officer.office_id))}
    ctx = WorkContext(office_id=officer.office_id, today=today, settings=settings, assignments=assignments)
    items = [item for _, source in SOURCES.values() for item in source(session, ctx)]
    kept = [item for item in items if wanted.keeps(item, me=officer.id)]
    kept.sort(key=lambda i: i.received, reverse=True)
    kept.sort(key=lambda i: 0 if i.overdue else 1 if i.due_soon else 2)
    return kept


def assignable_officers(session: Session, *, office_id: int) -> list[Officer]:
    """Active officers who can read (administrators hold no key and handle nothing)."""
    return list(session.scalars(
        select(Officer).where(Officer.office_id == office_id, Officer.active.is_(True), Officer.role != Role.ADMIN)
        .order_by(Officer.display_name)
    ))


class AssignmentError(Exception):
    """The assignment cannot be made; the message says why."""


def assign(session: Session, *, officer: CurrentOfficer, item_keys: list[str], assignee_id: int | None) -> int:
    """Give inbox items to an officer (or take them back with None); one audit event per item."""
    allowed = {o.id for o in assignable_officers(session, office_id=officer.office_id)}
    if assignee_id is not None and assignee_id not in allowed:
        raise AssignmentError("请选择本室在岗的纪检干部。")
    count = 0
    for key in item_keys:
        kind, _, ref = key.partition(":")
        if kind not in SOURCES or not ref or not OWNERSHIP[kind](session, ref, officer.office_id):
            raise AssignmentError("所选事项不存在或不属于本室。")
        row = session.get(WorkAssignment, (kind, ref))
        if assignee_id is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(WorkAssignment(item_kind=kind, item_ref=ref, office_id=officer.office_id,
                                       assignee_id=assignee_id, assigned_by=officer.id))
        else:
            row.assignee_id, row.assigned_by = assignee_id, officer.id
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="assigned", target=key,
                     details={"to": assignee_id or 0})
        count += 1
    return count

