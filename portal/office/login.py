"""Officer login and logout."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.costly import run_costly
from intake.db import utcnow
from intake.forms import read_form, text
from intake.rendering import render
from portal import audit
from portal.auth import COOKIE, LoginAttempt, LoginOutcome, login, logout
from portal.models import Officer
from portal.office.guard import current_officer

MESSAGES = {
    LoginOutcome.FAILED: "用户名、密码或动态验证码不正确。",
    LoginOutcome.THROTTLED: "失败次数过多，该账号已暂时锁定，请 15 分钟后再试。",
}


async def login_page(request: Request) -> Response:
    """Show the login form, or go to the inbox when already logged in."""
    if current_officer(request) is not None:
        return RedirectResponse("/office/", status_code=303)
    return render(request, "office/login.html", {"error": None, "username": ""})


def _login(request: Request, username: str, password: str, totp_code: str) -> LoginAttempt:
    settings = request.app.state.settings
    now = utcnow()
    with request.app.state.db.transaction() as session:
        attempt = login(session, settings, username=username, password=password, totp_code=totp_code, now=now)
        if attempt.officer_id is not None:
            officer = session.get(Officer, attempt.officer_id)
            if officer is not None:
                action = "login" if attempt.outcome is LoginOutcome.SUCCESS else "login_failed"
                audit.record(session, office_id=officer.office_id, officer_id=officer.id, action=action, now=now)
    return attempt


async def login_submit(request: Request) -> Response:
    """Check password and TOTP (Argon2id runs in a worker thread) and open a session."""
    form = await read_form(request)
    username = text(form, "username", max_length=64)
    password = text(form, "password", max_length=1024)
    totp_code = text(form, "totp", max_length=16)
    attempt = await run_costly(_login, request, username, password, totp_code)
    if attempt.outcome is not LoginOutcome.SUCCESS:
        return render(
            request, "office/login.html", {"error": MESSAGES[attempt.outcome], "username": username},
            status_code=429 if attempt.outcome is LoginOutcome.THROTTLED else 400,
        )
    response = RedirectResponse("/office/", status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        COOKIE, attempt.cookie, httponly=True, samesite="strict", secure=settings.https, path="/office",
        max_age=int(settings.session_absolute.total_seconds()),
    )
    return response


async def logout_submit(request: Request) -> Response:
    """End the session: its row, and with it the sealed office keys, is deleted."""
    await read_form(request)
    cookie = request.cookies.get(COOKIE)
    officer = current_officer(request)
    if cookie:
        with request.app.state.db.transaction() as session:
            logout(session, cookie=cookie)
            if officer is not None:
                audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="logout")
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(COOKIE, path="/office")
    return response


routes = [
    Route("/office/login", login_page, methods=["GET"]),
    Route("/office/login", login_submit, methods=["POST"]),
    Route("/office/logout", logout_submit, methods=["POST"]),
]
