"""The unified inbox: everything waiting for the office, from pluggable sources, with filters and assignment.

A source describes one kind of work as SQL (a `Listing`), so that filters, counters, order and paging run in the
database over every item, and fills in the few items a page shows. Reports are the first; rating alerts, pending
hand-ins and replies from reporters plug in with `register_source` when their tables exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from intake.labels import STATUS
from intake.models import Department, Submission, SubmissionKind
from portal import audit
from portal.auth import CurrentOfficer
from portal.clue_models import Clue, ClueReport, WorkAssignment
from portal.deadlines import Deadline, DeadlineState, notices_owed, real_name_deadlines
from portal.models import Officer, Role
from portal.settings import Settings

PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxItem:
    kind: str  # the source's key: "report", "rating_alert", "handin", "reply"
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


@dataclass(frozen=True)
class Deadlines:
    """Which of a source's items owe a notice that is overdue, due soon, or either; and how many of each there are
    (every one of them waits)."""

    overdue: ColumnElement[bool]
    due_soon: ColumnElement[bool]
    urgent: ColumnElement[bool]
    overdue_count: int
    due_soon_count: int
    urgent_items: tuple[tuple[str, datetime, bool], ...]  # (ref, received, overdue) of every urgent item


def id_set(session: Session, ids: frozenset[str]) -> Select[tuple[str]]:
    """Ids as an uncorrelated set in one parameter (a JSON array): read once whatever the number of rows it is
    asked about (SQLite into a temporary index, PostgreSQL into a hash), and no limit on bound parameters."""
    unpack = func.json_array_elements_text if session.get_bind().dialect.name == "postgresql" else func.json_each
    values = unpack(literal(sorted(ids), JSON)).table_valued("value")
    return select(values.c.value)


@dataclass(frozen=True)
class Listing:
    """One source's items as SQL, so that the inbox filters, counts, orders and pages them in the database: `query`
    selects the office's items (its FROM and WHERE); the expressions are over its tables. No envelope is read."""

    query: Select[Any]
    ref: ColumnElement[str]
    received: ColumnElement[datetime]
    department_id: ColumnElement[int | None]
    status: ColumnElement[str]
    waiting: ColumnElement[bool]
    deadlines: Deadlines | None = None  # None: the kind owes no notices
    new: ColumnElement[bool] | None = None  # a report not yet made a clue (新收举报)
    in_category: Callable[[str], ColumnElement[bool]] | None = None  # None: the kind has no category


Lister = Callable[[Session, WorkContext], Listing]
Details = Callable[[Session, WorkContext, list[str]], list[InboxItem]]  # the page's items of a kind, in full
Owns = Callable[[Session, str, int], bool]  # (session, ref, office_id): may this office assign the item?


@dataclass(frozen=True)
class Source:
    label: str  # its Chinese name, translated on the page
    listing: Lister
    details: Details
    owns: Owns


SOURCES: dict[str, Source] = {}


def register_source(kind: str, label: str, *, listing: Lister, details: Details, owns: Owns) -> None:
    """Plug a kind of work into the inbox."""
    SOURCES[kind] = Source(label=label, listing=listing, details=details, owns=owns)


def assignees(session: Session, kind: str, refs: list[str]) -> dict[str, int]:
    """Who handles each of these items of a kind, by ref (unassigned items are absent)."""
    return dict(session.execute(select(WorkAssignment.item_ref, WorkAssignment.assignee_id).where(
        WorkAssignment.item_kind == kind, WorkAssignment.item_ref.in_(refs))).all())


_REPORTS_ONLY = Submission.kind == literal_column(f"'{SubmissionKind.REPORT.value}'")


def report_listing(session: Session, ctx: WorkContext) -> Listing:
    """Reports sent to this office; a real-name report still owing a notice waits, closed or not."""
    owed = notices_owed(session, office_id=ctx.office_id, today=ctx.today,
                        acceptance_workdays=ctx.settings.acceptance_notice_workdays,
                        result_workdays=ctx.settings.result_notice_workdays)

    def among(ids: frozenset[str]) -> ColumnElement[bool]:
        return Submission.id.in_(id_set(session, ids)) if ids else false()

    # Membership of uncorrelated sets, never a subquery per row (PostgreSQL would run it for every row). The
    # office's reports themselves are read from ix_submissions_inbox alone.
    # The kind as a literal: the index is partial (reports only), and a planner can match a bound value to it
    # only when it sees the value.
    query = select(Submission.id).where(Submission.office_id == ctx.office_id, _REPORTS_ONLY)

    def in_category(category: str) -> ColumnElement[bool]:
        # Its own clue_reports, not the listing's: uncorrelated, it is read once.
        return Submission.id.in_(select(ClueReport.submission_id).join(Clue, Clue.id == ClueReport.clue_id)
                                 .where(Clue.office_id == ctx.office_id, Clue.category == category)
                                 .correlate(None))

    return Listing(
        query=query, ref=Submission.id, received=Submission.created_hour, department_id=Submission.department_id,
        status=Submission.status, waiting=or_(Submission.status != "closed", among(owed.owing)),
        deadlines=Deadlines(overdue=among(owed.overdue), due_soon=among(owed.due_soon), urgent=among(owed.urgent),
                            overdue_count=len(owed.overdue), due_soon_count=len(owed.due_soon),
                            urgent_items=tuple((ref, received, ref in owed.overdue)
                                               for ref, received in owed.received.items())),
        new=and_(Submission.status == "received", ~exists().where(ClueReport.submission_id == Submission.id)),
        in_category=in_category)


def report_details(session: Session, ctx: WorkContext, refs: list[str]) -> list[InboxItem]:
    """The page's reports with their clue, deadlines and assignee (plain fields only, no envelope)."""
    rows = session.execute(
        select(Submission.id, Submission.created_hour, Submission.department_id, Submission.status,
               Submission.identity_envelope.is_not(None), Department.name, Clue.id, Clue.number, Clue.category)
        .outerjoin(Department, Department.id == Submission.department_id)
        .outerjoin(ClueReport, ClueReport.submission_id == Submission.id)
        .outerjoin(Clue, Clue.id == ClueReport.clue_id)
        .where(Submission.id.in_(refs))  # the office's own, from its listing: by id, not through the office's index
    ).all()
    deadlines = real_name_deadlines(session, [(r[0], r[1]) for r in rows if r[4]], today=ctx.today,
                                    acceptance_workdays=ctx.settings.acceptance_notice_workdays,
                                    result_workdays=ctx.settings.result_notice_workdays)
    assigned = assignees(session, "report", refs)
    return [
        InboxItem(kind="report", ref=ref, url=f"/office/submissions/{ref}", received=received,
                  department_id=department_id, department=dept or "", category=category.value if category else None,
                  status=status, status_label=STATUS.get(status, status), finished=status == "closed",
                  real_name=real_name, clue_id=clue_id, clue_number=number or "",
                  deadlines=tuple(deadlines.get(ref, ())), assignee_id=assigned.get(ref))
        for ref, received, department_id, status, real_name, dept, clue_id, number, category in rows
    ]


def _report_of(session: Session, ref: str, office_id: int) -> bool:
    found = session.scalar(select(Submission.office_id).where(Submission.id == ref,
                                                              Submission.kind == SubmissionKind.REPORT))
    return found == office_id


register_source("report", "举报", listing=report_listing, details=report_details, owns=_report_of)


@dataclass(frozen=True)
class InboxFilter:
    kind: str = ""
    status: str = ""
    department_id: int | None = None
    category: str = ""
    assignee: str = ""  # "", "none", "me" or an officer id
    due: str = ""  # "", "overdue", "due" (overdue or due soon)
    show: str = "waiting"  # "waiting" or "all"

    def conditions(self, kind: str, listing: Listing, *, me: int) -> list[ColumnElement[bool]] | None:
        """What an item of this kind must satisfy to be kept, as SQL; None when no item of the kind can be."""
        if (self.kind and self.kind != kind) or (self.category and listing.in_category is None):
            return None
        kept: list[ColumnElement[bool]] = []
        if self.status:
            kept.append(listing.status == self.status)
        if self.department_id is not None:
            kept.append(listing.department_id == self.department_id)
        if self.category and listing.in_category is not None:
            kept.append(listing.in_category(self.category))
        if self.show != "all":
            kept.append(listing.waiting)
        if self.due:
            if listing.deadlines is None:
                return None
            kept.append(listing.deadlines.overdue if self.due != "due" else listing.deadlines.urgent)
        if self.assignee == "none":
            kept.append(~_assigned(kind, listing))
        elif self.assignee == "me":
            kept.append(_assigned(kind, listing, to=me))
        elif self.assignee.isdigit():
            kept.append(_assigned(kind, listing, to=int(self.assignee)))
        return kept


def _assigned(kind: str, listing: Listing, *, to: int | None = None) -> ColumnElement[bool]:
    found = select(WorkAssignment.item_ref).where(WorkAssignment.item_kind == kind)
    return listing.ref.in_(found.where(WorkAssignment.assignee_id == to) if to is not None else found)


@dataclass(frozen=True)
class InboxCounts:
    """The counters over everything waiting, whatever the filter."""

    waiting: int = 0
    overdue: int = 0
    due_soon: int = 0
    unassigned: int = 0
    new: int = 0


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int  # items the filter keeps, on every page
    page: int
    pages: int
    counts: InboxCounts


def _count(session: Session, listing: Listing, *conditions: ColumnElement[bool]) -> int:
    return session.execute(listing.query.with_only_columns(func.count()).where(*conditions)).scalar_one()


def inbox_counts(session: Session, listings: dict[str, Listing]) -> InboxCounts:
    """Exact counts of waiting items, overdue, due soon, unassigned and new reports, across every source: one pass
    over each source's waiting items (the notices owed are already counted)."""
    totals = [0, 0, 0, 0, 0]
    for kind, listing in listings.items():
        waiting, assigned, new = session.execute(listing.query.with_only_columns(
            func.count(), _ones(_assigned(kind, listing)),
            _ones(listing.new) if listing.new is not None else literal(0)).where(listing.waiting)).one()
        deadlines = listing.deadlines
        totals = [a + int(b) for a, b in zip(totals, [
            waiting,
            deadlines.overdue_count if deadlines is not None else 0,
            deadlines.due_soon_count if deadlines is not None else 0,
            waiting - assigned,
            new,
        ], strict=True)]
    return InboxCounts(*totals)


def _ones(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


Arms = dict[str, tuple[Listing, list[ColumnElement[bool]]]]


def inbox_page(session: Session, *, officer: CurrentOfficer, settings: Settings, today: date, wanted: InboxFilter,
               page: int = 1) -> InboxPage:
    """One page of the items the filter keeps, overdue first, then due soon, then newest; with exact counts."""
    ctx = WorkContext(office_id=officer.office_id, today=today, settings=settings)
    listings = {kind: source.listing(session, ctx) for kind, source in SOURCES.items()}
    counts = inbox_counts(session, listings)
    arms = {kind: (listing, kept) for kind, listing in listings.items()
            if (kept := wanted.conditions(kind, listing, me=officer.id)) is not None}
    # Filtered by deadlines alone, or not at all: the urgent items are known already, and sorted here.
    only_due = replace(wanted, due="", show="waiting") == InboxFilter()
    urgent = _urgent_items(arms, overdue_only=wanted.due not in ("", "due")) if only_due else None
    if wanted == InboxFilter():
        total = counts.waiting
    elif only_due and wanted.due and urgent is not None:
        total = len(urgent)
    else:
        total = sum(_count(session, listing, *kept) for listing, kept in arms.values())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    keys = _keys(session, arms, first=(page - 1) * PAGE_SIZE, total=total, urgent=urgent) if total else []
    found: dict[tuple[str, str], InboxItem] = {}
    for kind in {k for k, _ in keys}:
        refs = [ref for k, ref in keys if k == kind]
        found.update({(kind, item.ref): item for item in SOURCES[kind].details(session, ctx, refs)})
    items = [found[key] for key in keys if key in found]
    return InboxPage(items=items, total=total, page=page, pages=pages, counts=counts)


def _urgent_items(arms: Arms, *, overdue_only: bool) -> list[tuple[int, datetime, str, str]]:
    """Every urgent item of the sources, overdue first, then due soon, newest first within each."""
    found = [(0 if overdue else 1, received, ref, kind)
             for kind, (listing, _) in arms.items() if listing.deadlines is not None
             for ref, received, overdue in listing.deadlines.urgent_items if overdue or not overdue_only]
    found.sort(key=lambda item: (item[2], item[3]), reverse=True)
    found.sort(key=lambda item: (item[0], -item[1].timestamp()))
    return found


def _keys(session: Session, arms: Arms, *, first: int, total: int,
          urgent: list[tuple[int, datetime, str, str]] | None) -> list[tuple[str, str]]:
    """The (kind, ref) of a page's items. The urgent ones (overdue, due soon) are few and sorted apart (in Python
    when the filter asks nothing of them but their deadlines); the rest come newest first, each source from its
    index, merged by the database without sorting them all."""
    urgent_arms = {kind: (listing, [deadlines.urgent, *kept]) for kind, (listing, kept) in arms.items()
                   if (deadlines := listing.deadlines) is not None}
    keys: list[tuple[str, str]] = []
    if urgent is not None:
        urgent_total = len(urgent)
        keys += [(kind, ref) for _, _, ref, kind in urgent[first:first + PAGE_SIZE]]
    else:
        urgent_total = sum(_count(session, listing, *kept) for listing, kept in urgent_arms.values())
        if first < urgent_total:
            selects = [listing.query.with_only_columns(
                literal(kind).label("kind"), listing.ref.label("ref"), listing.received.label("received"),
                case((deadlines.overdue, 0), else_=1).label("urgency")).where(*kept)
                for kind, (listing, kept) in urgent_arms.items() if (deadlines := listing.deadlines) is not None]
            every = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("urgent")
            keys += [(kind, ref) for kind, ref in session.execute(
                select(every.c.kind, every.c.ref)
                .order_by(every.c.urgency, every.c.received.desc(), every.c.ref.desc(), every.c.kind.desc())
                .limit(PAGE_SIZE).offset(first)
            ).all()]
    if len(keys) < PAGE_SIZE and first + len(keys) < total and arms:
        selects = [listing.query.with_only_columns(
            literal(kind).label("kind"), listing.ref.label("ref"), listing.received.label("received"))
            .where(*([~listing.deadlines.urgent] if listing.deadlines is not None else []), *kept)
            for kind, (listing, kept) in arms.items()]
        rest = union_all(*selects) if len(selects) > 1 else selects[0]
        keys += [(kind, ref) for kind, ref, _ in session.execute(
            rest.order_by(literal_column("received").desc(), literal_column("ref").desc(),
                          literal_column("kind").desc())
            .limit(PAGE_SIZE - len(keys)).offset(max(0, first - urgent_total))
        ).all()]
    return keys


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
        if kind not in SOURCES or not ref or not SOURCES[kind].owns(session, ref, officer.office_id):
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

