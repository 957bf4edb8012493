"""Who is asking: the officer behind the session cookie, loaded once per request."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from intake.db import utcnow
from portal.auth import COOKIE, CurrentOfficer, load
from portal.models import Role


class LoginRequired(Exception):
    """The page needs a logged-in officer; the handler sends the browser to the login page."""


def current_officer(request: Request) -> CurrentOfficer | None:
    if "officer" in request.state._state:
        cached: CurrentOfficer | None = request.state.officer
        return cached
    cookie = request.cookies.get(COOKIE)
    officer = None
    if cookie:
        with request.app.state.db.transaction() as session:
            officer = load(session, request.app.state.settings, cookie=cookie, now=utcnow())
    request.state.officer = officer
    return officer


def require_officer(request: Request, *, roles: frozenset[Role] | None = None) -> CurrentOfficer:
    officer = current_officer(request)
    if officer is None:
        raise LoginRequired()
    if roles is not None and officer.role not in roles:
        raise HTTPException(status_code=403)
    return officer


def require_reader(request: Request) -> CurrentOfficer:
    """An officer who holds the office key: administrators and removed officers are refused."""
    officer = require_officer(request)
    if not officer.can_read:
        raise HTTPException(status_code=403)
    return officer
