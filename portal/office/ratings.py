"""Satisfaction statistics (满意度统计): the rollup with progress, the dashboard read from sealed counters only,
and its xlsx export."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from intake.db import utcnow
from intake.forms import read_form
from intake.models import Hospital, Office
from intake.questionnaire import QUESTIONS
from intake.rendering import render, translate
from portal import audit
from portal.auth import CurrentOfficer
from portal.office.guard import require_reader
from portal.rating_export import workbook
from portal.rating_rollup import MissingKeyError, Progress, pending, rollup
from portal.rating_stats import Dashboard, build, department_names, load_cells, months_back
from portal.rating_tally import CHINA

SPANS = (6, 12, 24, 36)
SOURCES = ("all", "verified", "open")
WEB_BATCH = 2000
WEB_SLICE = timedelta(seconds=2)  # one request counts for at most about this long, then reports progress
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
NO_DEPARTMENT = "未选科室"


@dataclass(frozen=True)
class Filters:
    department_id: int | None
    source: str
    to: str
    span: int

    def query(self, **changes: Any) -> str:
        values = {"dept": self.department_id or "", "source": self.source, "to": self.to, "span": self.span}
        values.update(changes)
        return urlencode(values)


def _hospital(request: Request, officer: CurrentOfficer) -> Hospital:
    with request.app.state.db.transaction() as session:
        office = session.get(Office, officer.office_id)
        hospital = session.get(Hospital, office.hospital_id) if office and office.hospital_id else None
    if hospital is None:
        raise HTTPException(status_code=404)  # the higher authority's office takes no ratings
    return hospital


def _filters(request: Request, departments: dict[int, str]) -> Filters:
    """Read the dashboard's filters; anything not offered is refused with 400, not guessed at."""
    params = request.query_params
    dept = params.get("dept", "")
    source = params.get("source", "all")
    to = params.get("to", "") or (utcnow() + CHINA).strftime("%Y-%m")
    span = params.get("span", "12")
    if (dept and (not dept.isdigit() or int(dept) not in departments)) or source not in SOURCES \
            or not MONTH.match(to) or not span.isdigit() or int(span) not in SPANS:
        raise HTTPException(status_code=400)
    return Filters(department_id=int(dept) if dept else None, source=source, to=to, span=int(span))


def _dashboard(request: Request, officer: CurrentOfficer, hospital: Hospital) -> tuple[Dashboard, Filters, int]:
    with request.app.state.db.transaction() as session:
        departments = department_names(session, hospital_id=hospital.id)
        filters = _filters(request, departments)
        try:
            cells = load_cells(session, officer=officer)
        except MissingKeyError:
            raise HTTPException(status_code=409) from None
        waiting = pending(session, office_id=officer.office_id)
    dashboard = build(cells, departments=departments, hospital_name=hospital.name,
                      department_id=filters.department_id, source=filters.source,
                      months=months_back(filters.to, filters.span),
                      no_department_label=translate(request, NO_DEPARTMENT))
    return dashboard, filters, waiting


def _chart_data(request: Request, dashboard: Dashboard) -> dict[str, Any]:
    """What the charts draw: the table's own numbers, with None wherever the table shows "<10"."""
    months = list(reversed(dashboard.by_month))
    return {
        "months": [line.label for line in months],
        "scope": dashboard.scope,
        "hospital": translate(request, "全院") if dashboard.department_id is not None else None,
        "questions": [
            {"label": translate(request, q.short),
             "own": [line.values[i] for line in months],
             "hospital": [line.compare_values[i] for line in months] if dashboard.department_id else None}
            for i, q in enumerate(QUESTIONS)
        ],
        "counts": [int(line.ratings) if line.ratings.isdigit() else None for line in months],
        "countLabel": translate(request, "评价数"),
    }


async def dashboard_page(request: Request) -> Response:
    """Show % positive per question by month, for the hospital or one department against it."""
    officer = require_reader(request)
    hospital = _hospital(request, officer)
    dashboard, filters, waiting = _dashboard(request, officer, hospital)
    with request.app.state.db.transaction() as session:
        departments = department_names(session, hospital_id=hospital.id)
    return render(request, "office/ratings/dashboard.html", {
        "officer": officer, "dashboard": dashboard, "filters": filters, "waiting": waiting,
        "departments": departments, "questions": QUESTIONS, "spans": SPANS,
        "chart": _chart_data(request, dashboard), "rollup_message": request.query_params.get("counted"),
    })


def _rollup_slice(request: Request, officer: CurrentOfficer) -> Progress:
    start = utcnow()
    return rollup(request.app.state.db, keyring=officer.keyring, office_id=officer.office_id,
                  officer_id=officer.id, batch=WEB_BATCH, opener=request.app.state.rating_opener,
                  deadline=start + WEB_SLICE, now=utcnow)


async def rollup_submit(request: Request) -> Response:
    """Count new ratings for about two seconds (in a worker thread) and report what is left."""
    officer = require_reader(request)
    form = await read_form(request)
    _hospital(request, officer)
    try:
        progress = await run_in_threadpool(_rollup_slice, request, officer)
    except MissingKeyError:
        raise HTTPException(status_code=409) from None
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"counted": progress.counted, "remaining": progress.remaining,
                             "alerts": progress.alerts})
    back = form.get("back")
    query = back if isinstance(back, str) and re.fullmatch(r"[\w=&%.\-]*", back) else ""
    separator = "&" if query else ""
    return RedirectResponse(f"/office/ratings?{query}{separator}counted={progress.counted}", status_code=303)


async def export_xlsx(request: Request) -> Response:
    """Download the dashboard's tables as xlsx, suppressed exactly as on the page."""
    officer = require_reader(request)
    hospital = _hospital(request, officer)
    dashboard, filters, _ = _dashboard(request, officer, hospital)
    content = await run_in_threadpool(workbook, dashboard, hospital_name=hospital.name)
    with request.app.state.db.transaction() as session:
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="export_rating_stats",
                     details={"query": filters.query()})
    name = f"ratings-{filters.to}-{filters.span}m.xlsx"
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


routes = [
    Route("/office/ratings", dashboard_page, methods=["GET"]),
    Route("/office/ratings/rollup", rollup_submit, methods=["POST"]),
    Route("/office/ratings/export.xlsx", export_xlsx, methods=["GET"]),
]
