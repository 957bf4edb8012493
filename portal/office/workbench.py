"""The unified inbox page (待办): what is waiting, what is due or overdue, filters, and assignment."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import portal.work_sources  # noqa: F401  (registers hand-ins and replies with the inbox)
from intake.forms import read_form, text
from intake.labels import STATUS
from intake.rendering import render
from intake.workdays import china_today, covers
from portal.clue_models import LABELS
from portal.clues import departments_of
from portal.deadlines import STATE_LABELS
from portal.office.guard import require_reader
from portal.workbench import SOURCES, AssignmentError, InboxFilter, assign, assignable_officers, inbox_page


def _filter(request: Request) -> InboxFilter:
    q = request.query_params
    department = q.get("department_id", "")
    return InboxFilter(kind=q.get("kind", "")[:20], status=q.get("status", "")[:20],
                       department_id=int(department) if department.isdigit() else None,
                       category=q.get("category", "")[:20], assignee=q.get("assignee", "")[:12],
                       due=q.get("due", "")[:10], show="all" if q.get("show") == "all" else "waiting")


async def work_page(request: Request, *, problem: str = "", status_code: int = 200) -> Response:
    """List a page of waiting items, overdue first, with the office's filters and exact counters."""
    officer = require_reader(request)
    wanted = _filter(request)
    today = china_today()
    page = request.query_params.get("page", "")
    with request.app.state.db.read() as session:
        found = inbox_page(session, officer=officer, settings=request.app.state.settings, today=today,
                           wanted=wanted, page=int(page) if page.isdigit() else 1)
        officers = assignable_officers(session, office_id=officer.office_id)
        departments = departments_of(session, office_id=officer.office_id)
    return render(request, "office/work.html", {
        "officer": officer, "found": found, "items": found.items, "wanted": wanted, "counts": found.counts,
        "officers": officers, "names": {o.id: o.display_name for o in officers}, "departments": departments,
        "sources": {k: source.label for k, source in SOURCES.items()}, "statuses": STATUS, "clue_labels": LABELS,
        "state_labels": STATE_LABELS, "calendar_known": covers(today.year), "problem": problem,
        "back": request.url.query,
        "query": urlencode({k: v for k, v in request.query_params.items() if k != "page"})},
        status_code=status_code)


async def assign_items(request: Request) -> Response:
    """Give the ticked items to an officer (or back to nobody)."""
    officer = require_reader(request)
    form = await read_form(request, max_fields=600)
    keys = [k for k in form.getlist("item") if isinstance(k, str)][:500]
    assignee = text(form, "assignee_id", max_length=12)
    back = text(form, "back", max_length=500)
    if not keys:
        return await work_page(request, problem="请先勾选要分派的事项。", status_code=400)
    try:
        with request.app.state.db.transaction() as session:
            assign(session, officer=officer, item_keys=keys,
                   assignee_id=int(assignee) if assignee.isdigit() else None)
    except AssignmentError as exc:
        return await work_page(request, problem=str(exc), status_code=400)
    return RedirectResponse("/office/work" + ("?" + back if back and "\n" not in back else ""), status_code=303)


routes = [
    Route("/office/work", work_page, methods=["GET"]),
    Route("/office/work/assign", assign_items, methods=["POST"]),
]
