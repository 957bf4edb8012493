"""评价线索: ratings that said a red envelope was asked for, or that carry a comment."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import CryptoError
from intake.forms import read_form
from intake.questionnaire import QUESTIONS
from intake.rendering import render
from portal.auth import CurrentOfficer
from portal.office.guard import require_reader
from portal.rating_alerts import count_new, mark_handled, open_alerts
from portal.rating_models import AlertStatus


def nav_alert_count(request: Request, officer: CurrentOfficer | None) -> int:
    """The number shown beside 评价线索 in the office's navigation (a plain count: no key needed)."""
    if officer is None or not officer.can_read:
        return 0
    with request.app.state.db.transaction() as session:
        return count_new(session, office_id=officer.office_id)


async def alerts_page(request: Request) -> Response:
    """Decrypt and list the alerts raised by ratings (new or handled)."""
    officer = require_reader(request)
    status = request.query_params.get("status", AlertStatus.NEW)
    if status not in (AlertStatus.NEW, AlertStatus.HANDLED):
        raise HTTPException(status_code=400)
    try:
        with request.app.state.db.transaction() as session:
            alerts = open_alerts(session, officer=officer, status=status)
    except CryptoError:
        raise HTTPException(status_code=409) from None
    return render(request, "office/ratings/alerts.html",
                  {"officer": officer, "alerts": alerts, "status": status, "questions": QUESTIONS})


async def alert_handled(request: Request) -> Response:
    """Mark an alert handled (it leaves the count in the navigation)."""
    officer = require_reader(request)
    await read_form(request)
    with request.app.state.db.transaction() as session:
        if not mark_handled(session, officer=officer, alert_id=request.path_params["alert_id"]):
            raise HTTPException(status_code=404)
    return RedirectResponse("/office/ratings/alerts", status_code=303)


routes = [
    Route("/office/ratings/alerts", alerts_page, methods=["GET"]),
    Route("/office/ratings/alerts/{alert_id:str}/handled", alert_handled, methods=["POST"]),
]
