"""The audit trail for the office head: filter the chain's events and verify that none was edited or deleted."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.forms import read_form
from intake.rendering import render
from portal.audit import ChainReport
from portal.audit_trail import ACTION_LABELS, EventFilter, actions_seen, list_events, officers_of, verify_and_record
from portal.clue_rules import parse_date
from portal.models import Role
from portal.office.guard import require_officer

HEAD_ONLY = frozenset({Role.HEAD})


def _filter(request: Request) -> tuple[EventFilter, dict[str, str]]:
    q = request.query_params
    errors: dict[str, str] = {}
    dates = {}
    for name in ("since", "until"):
        raw = q.get(name, "").strip()
        dates[name] = parse_date(raw) if raw else None
        if raw and dates[name] is None:
            errors[name] = "日期无效，请按“年-月-日”填写真实存在的日期，例如 2025-03-05。"
    officer = q.get("officer", "")
    return EventFilter(officer_id=int(officer) if officer.isdigit() else None, action=q.get("action", "")[:40],
                       since=dates["since"], until=dates["until"]), errors


def _render(request: Request, report: ChainReport | None, status_code: int = 200) -> Response:
    officer = require_officer(request, roles=HEAD_ONLY)
    wanted, errors = _filter(request)
    with request.app.state.db.transaction() as session:
        events, more = list_events(session, office_id=officer.office_id, wanted=wanted)
        context: dict[str, Any] = {
            "officer": officer, "events": events, "more": more, "wanted": wanted, "errors": errors,
            "actions": actions_seen(session, office_id=officer.office_id), "labels_of": ACTION_LABELS,
            "officers": officers_of(session, office_id=officer.office_id), "report": report,
            "raw": dict(request.query_params)}
    return render(request, "office/audit.html", context, status_code=400 if errors else status_code)


async def audit_page(request: Request) -> Response:
    """The office's audit events, newest first, filtered by officer, action and date."""
    return _render(request, None)


async def verify_page(request: Request) -> Response:
    """Recompute the hash chain and say whether it holds, or where it first breaks."""
    officer = require_officer(request, roles=HEAD_ONLY)
    await read_form(request)
    with request.app.state.db.transaction() as session:
        report = verify_and_record(session, office_id=officer.office_id, officer_id=officer.id)
    return _render(request, report)


routes = [
    Route("/office/audit", audit_page, methods=["GET"]),
    Route("/office/audit/verify", verify_page, methods=["POST"]),
]
