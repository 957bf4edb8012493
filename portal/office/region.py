"""The authority's overview: per-hospital figures without content, audit chain checks, the regional table."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.forms import read_form, text
from intake.rendering import render
from intake.workdays import CHINA, china_today
from portal.auth import CurrentOfficer
from portal.chain_watch import observe, observe_all, statuses
from portal.office.authority import require_authority
from portal.quarterly import Quarter
from portal.region import SUPPRESS_BELOW, Period, figures, labels
from portal.region_export import regional_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _quarter(request: Request, today: date) -> Quarter:
    q = request.query_params
    year, number = q.get("year", ""), q.get("quarter", "")
    if year.isdigit() and 2000 <= int(year) <= 2100 and number in {"1", "2", "3", "4"}:
        return Quarter(int(year), int(number))
    return Quarter(today.year, (today.month - 1) // 3 + 1)


async def region_page(request: Request) -> Response:
    """Per-hospital figures for a quarter (default: the current one) and each audit chain's last check."""
    officer = require_authority(request)
    today = china_today()
    quarter = _quarter(request, today)
    settings = request.app.state.settings
    with request.app.state.db.transaction() as session:
        rows = figures(session, period=Period(quarter.start, min(quarter.end, today)), today=today,
                       acceptance_workdays=settings.acceptance_notice_workdays,
                       result_workdays=settings.result_notice_workdays)
        chains = statuses(session)
    return render(request, "office/region.html", {
        "officer": officer, "rows": rows, "figure_labels": labels(), "chains": chains, "quarter": quarter,
        "threshold": SUPPRESS_BELOW, "years": list(range(today.year, today.year - 5, -1)),
        "own_chain": chains.get(officer.office_id), "china": CHINA})


def _verify(request: Request, officer: CurrentOfficer, office_id: int | None) -> None:
    with request.app.state.db.transaction() as session:
        if office_id is None:
            observe_all(session, authority_office_id=officer.office_id, officer_id=officer.id)
        else:
            observe(session, office_id=office_id, authority_office_id=officer.office_id, officer_id=officer.id)


async def verify_chains(request: Request) -> Response:
    """Recompute every office's chain (or one office's) and compare with the head last observed."""
    officer = require_authority(request)
    form = await read_form(request)
    raw = text(form, "office_id", max_length=12)
    with request.app.state.db.transaction() as session:
        known = set(statuses(session))
    office_id = int(raw) if raw.isdigit() and int(raw) in known else None
    await run_in_threadpool(_verify, request, officer, office_id)
    return RedirectResponse("/office/region?verified=1", status_code=303)


async def regional_download(request: Request) -> Response:
    """The regional quarterly table as xlsx."""
    officer = require_authority(request)
    today = china_today()
    quarter = _quarter(request, today)
    settings = request.app.state.settings
    with request.app.state.db.transaction() as session:
        content = regional_xlsx(session, office_id=officer.office_id, officer_id=officer.id, quarter=quarter,
                                today=today, acceptance_workdays=settings.acceptance_notice_workdays,
                                result_workdays=settings.result_notice_workdays)
    filename = f"辖区季度情况-{quarter.year}Q{quarter.number}.xlsx"
    return Response(content, media_type=XLSX, headers={
        "content-disposition": f"attachment; filename=\"regional.xlsx\"; filename*=UTF-8''{quote(filename)}"})


routes = [
    Route("/office/region", region_page, methods=["GET"]),
    Route("/office/region/verify", verify_chains, methods=["POST"]),
    Route("/office/region/quarterly.xlsx", regional_download, methods=["GET"]),
]
