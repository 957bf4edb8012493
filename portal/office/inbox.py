"""The office's first page: what has arrived, and opening one item."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto import CryptoError
from intake.rendering import render
from intake.sealing import PayloadError
from portal import audit
from portal.auth import CurrentOfficer
from portal.casework import case_of
from portal.office.guard import require_officer, require_reader
from portal.submissions import count_for_office, list_for_office, open_submission


async def inbox(request: Request) -> Response:
    """List the office's sealed submissions (only their plain workflow fields)."""
    officer = require_officer(request)
    with request.app.state.db.transaction() as session:
        rows = list_for_office(session, office_id=officer.office_id) if officer.can_read else []
        total = count_for_office(session, office_id=officer.office_id) if officer.can_read else 0
    return render(request, "office/inbox.html", {"officer": officer, "rows": rows, "total": total})


async def submission_page(request: Request) -> Response:
    """Decrypt one submission in the officer's session and show it."""
    return show_submission(request, require_reader(request))


def show_submission(request: Request, officer: CurrentOfficer, *, extra: dict[str, Any] | None = None,
                    status_code: int = 200) -> Response:
    """Render an opened submission with its conversation and files; `extra` adds e.g. the opened identity."""
    submission_id = request.path_params["submission_id"]
    try:
        with request.app.state.db.transaction() as session:
            opened = open_submission(session, officer=officer, submission_id=submission_id)
            case = case_of(session, officer=officer, opened=opened) if opened else None
    except (CryptoError, PayloadError):
        # Sealed to this office but not a payload (a hand-made envelope), or tampered with: logged, never a 500.
        with request.app.state.db.transaction() as session:
            audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="decryption_failed",
                         target=submission_id)
        raise HTTPException(status_code=409) from None
    if opened is None:
        raise HTTPException(status_code=404)
    context = {"officer": officer, "item": opened, "case": case, "identity": None, "case_error": None}
    return render(request, "office/submission.html", {**context, **(extra or {})}, status_code=status_code)


routes = [
    Route("/office/", inbox, methods=["GET"]),
    Route("/office/submissions/{submission_id:str}", submission_page, methods=["GET"]),
]
