"""The officers page: the head adds and removes officers and grants them the office key; an administrator manages
accounts and holds no key; a lost password is reset with the recovery code. Also: changing one's own password."""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.forms import read_form, text
from intake.rendering import render
from portal import officer_accounts as accounts
from portal.auth import CurrentOfficer
from portal.models import Role
from portal.office.guard import require_officer
from portal.officers import OfficerError

MANAGERS = frozenset({Role.HEAD, Role.ADMIN})


def _qr_data_uri(uri: str) -> str:
    """The TOTP enrolment QR code as an inline SVG image (no file, no other origin)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


def _list(request: Request, officer: CurrentOfficer, *, problem: str = "", values: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    with request.app.state.db.transaction() as session:
        rows = accounts.accounts(session, office_id=officer.office_id)
    return render(request, "office/officers.html", {
        "officer": officer, "rows": rows, "problem": problem, "values": values or {},
        "roles": ["officer", "head", "admin"] if officer.role is Role.ADMIN else ["officer", "head"]},
        status_code=status_code)


def _credentials(request: Request, officer: CurrentOfficer, creds: accounts.Credentials, *, reset: bool) -> Response:
    return render(request, "office/officer_credentials.html", {
        "officer": officer, "creds": creds, "reset": reset,
        "qr": _qr_data_uri(creds.provisioning_uri) if creds.totp_secret else ""})


async def officers_page(request: Request) -> Response:
    """The office's accounts with their role, state and keys."""
    return _list(request, require_officer(request, roles=MANAGERS))


def _add(request: Request, actor: CurrentOfficer, username: str, display_name: str, role: Role) -> Any:
    settings = request.app.state.settings
    with request.app.state.db.transaction() as session:
        return accounts.add_officer(session, actor=actor, username=username, display_name=display_name, role=role,
                                    params=settings.argon2, secret=settings.secret)


async def add_officer(request: Request) -> Response:
    """Create an account and show its one-time password and TOTP code once."""
    actor = require_officer(request, roles=MANAGERS)
    form = await read_form(request)
    values = {"username": text(form, "username", max_length=64), "display_name": text(form, "display_name",
                                                                                        max_length=100),
              "role": text(form, "role", max_length=20)}
    try:
        role = Role(values["role"])
    except ValueError:
        return _list(request, actor, problem="请选择角色。", values=values, status_code=400)
    if not values["display_name"]:
        return _list(request, actor, problem="请填写姓名。", values=values, status_code=400)
    try:
        creds = await run_in_threadpool(_add, request, actor, values["username"], values["display_name"], role)
    except OfficerError as exc:
        return _list(request, actor, problem=str(exc), values=values, status_code=400)
    except PermissionError:
        raise HTTPException(status_code=403) from None
    return _credentials(request, actor, creds, reset=False)


async def grant_officer(request: Request) -> Response:
    """The head seals the office keys to an account the administrator created."""
    actor = require_officer(request, roles=frozenset({Role.HEAD}))
    await read_form(request)
    try:
        with request.app.state.db.transaction() as session:
            accounts.grant_access(session, actor=actor, officer_id=request.path_params["officer_id"])
    except OfficerError as exc:
        return _list(request, actor, problem=str(exc), status_code=400)
    except PermissionError:
        raise HTTPException(status_code=403) from None
    return RedirectResponse("/office/officers", status_code=303)


async def remove_officer(request: Request) -> Response:
    """Deactivate an account: it reads nothing new from now on."""
    actor = require_officer(request, roles=MANAGERS)
    await read_form(request)
    try:
        with request.app.state.db.transaction() as session:
            accounts.deactivate(session, actor=actor, officer_id=request.path_params["officer_id"])
    except OfficerError as exc:
        return _list(request, actor, problem=str(exc), status_code=400)
    except PermissionError:
        raise HTTPException(status_code=403) from None
    return RedirectResponse("/office/officers", status_code=303)


def _target_name(request: Request, actor: CurrentOfficer) -> str:
    with request.app.state.db.transaction() as session:
        for row in accounts.accounts(session, office_id=actor.office_id):
            if row.officer.id == request.path_params["officer_id"] and row.officer.active:
                return f"{row.officer.display_name}（{row.officer.username}）"
    raise HTTPException(status_code=403)


async def reset_page(request: Request) -> Response:
    """Ask for the office's recovery code before resetting a lost password."""
    actor = require_officer(request, roles=MANAGERS)
    return render(request, "office/officer_reset.html", {"officer": actor, "target": _target_name(request, actor),
                                                         "problem": ""})


def _reset(request: Request, actor: CurrentOfficer, code: str, new_totp: bool) -> Any:
    settings = request.app.state.settings
    with request.app.state.db.transaction() as session:
        return accounts.reset_password(session, actor=actor, officer_id=request.path_params["officer_id"],
                                       recovery_code=code, new_totp=new_totp, params=settings.argon2,
                                       secret=settings.secret)


async def reset_submit(request: Request) -> Response:
    """Reset with the recovery code: a new key pair, the office keys re-granted, the new password shown once."""
    actor = require_officer(request, roles=MANAGERS)
    form = await read_form(request)
    target = _target_name(request, actor)
    code = text(form, "recovery_code", max_length=100)
    try:
        creds = await run_in_threadpool(_reset, request, actor, code, form.get("new_totp") == "1")
    except OfficerError as exc:
        return render(request, "office/officer_reset.html", {"officer": actor, "target": target,
                                                             "problem": str(exc)}, status_code=400)
    except PermissionError:
        raise HTTPException(status_code=403) from None
    return _credentials(request, actor, creds, reset=True)


async def password_page(request: Request) -> Response:
    """Change one's own password (the one-time password of a new account first of all)."""
    return render(request, "office/password.html", {"officer": require_officer(request), "problem": "",
                                                    "done": False})


def _change(request: Request, officer_id: int, old: str, new: str) -> None:
    with request.app.state.db.transaction() as session:
        accounts.change_password(session, officer_id=officer_id, old=old, new=new,
                                 params=request.app.state.settings.argon2)


async def password_submit(request: Request) -> Response:
    officer = require_officer(request)
    form = await read_form(request)
    old, new = text(form, "old", max_length=1024), text(form, "new", max_length=1024)
    problem = "两次输入的新密码不一致。" if new != text(form, "repeat", max_length=1024) else ""
    if not problem:
        try:
            await run_in_threadpool(_change, request, officer.id, old, new)
        except OfficerError as exc:
            problem = str(exc)
    return render(request, "office/password.html", {"officer": officer, "problem": problem, "done": not problem},
                  status_code=400 if problem else 200)


routes = [
    Route("/office/officers", officers_page, methods=["GET"]),
    Route("/office/officers", add_officer, methods=["POST"]),
    Route("/office/officers/{officer_id:int}/grant", grant_officer, methods=["POST"]),
    Route("/office/officers/{officer_id:int}/remove", remove_officer, methods=["POST"]),
    Route("/office/officers/{officer_id:int}/reset", reset_page, methods=["GET"]),
    Route("/office/officers/{officer_id:int}/reset", reset_submit, methods=["POST"]),
    Route("/office/password", password_page, methods=["GET"]),
    Route("/office/password", password_submit, methods=["POST"]),
]
