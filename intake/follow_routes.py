"""Follow-up pages: enter the receipt code, read status and conversation, answer with text and files."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.attachments import UnreadableImage
from intake.db import utcnow
from intake.followup import (
    COOKIE,
    COOKIE_PATH,
    SESSION_TTL,
    FollowLimits,
    FollowSession,
    add_answer,
    check_code,
    load_view,
    open_session,
    seal_session,
)
from intake.forms import check_csrf, read_form, text
from intake.handin_follow import handin_status_for_follow_up
from intake.handin_routes import follow_up_certificate_download
from intake.receipts import receipt_pepper
from intake.rendering import render
from intake.report_routes import FILE_MESSAGES, IMAGE_UNREADABLE, RESELECT, limit_values
from intake.throttle import client_key
from intake.uploads import FileProblem, UploadLimits, UploadRefused, read_upload, seal_all

UPLOAD_PREFIX = "/follow/reply"
CERTIFICATE_PATH = "/follow/certificate"
LIMITS = UploadLimits()
WRONG_CODE = "查询码不正确，或尝试次数过多。请核对后再试；多次不成功的，请一小时后再试。"
ANSWER_EMPTY = "请写下要补充的内容，或选择要补充的文件。"
ANSWER_MAX = 5000


def _secret(request: Request) -> bytes:
    return bytes(request.app.state.settings.secret.reveal())


def _session(request: Request) -> FollowSession | None:
    return open_session(_secret(request), request.cookies.get(COOKIE), now=utcnow())


async def enter_code(request: Request) -> Response:
    """Ask for the receipt code (or go on to the conversation while the follow-up session lasts)."""
    if _session(request) is not None:
        return RedirectResponse("/follow/view", status_code=303)
    return render(request, "intake/follow/enter.html", {"error": None, "typed": ""})


async def check(request: Request) -> Response:
    """Check a typed receipt code; on success start a short session held only in this browser's cookie."""
    form = await read_form(request, max_fields=5)
    typed = text(form, "code", max_length=200)
    settings = request.app.state.settings
    now = utcnow()
    limits: FollowLimits = getattr(request.app.state, "follow_limits", FollowLimits())
    found = await check_code(request.app.state.db, typed, client=client_key(request.scope, secret=_secret(request),
                                                                            now=now),
                             pepper=receipt_pepper(_secret(request)), params=settings.argon2, limits=limits, now=now)
    if found is None:
        # The typed code comes back only in this no-store response, so that a typo can be corrected.
        return render(request, "intake/follow/enter.html", {"error": WRONG_CODE, "typed": typed}, status_code=400)
    submission_id, reporter_key = found
    response = RedirectResponse("/follow/view", status_code=303)
    response.set_cookie(COOKIE, seal_session(_secret(request), submission_id=submission_id,
                                             reporter_key=reporter_key, now=now),
                        max_age=int(SESSION_TTL.total_seconds()), path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=settings.https)
    return response


def _view(request: Request, follow: FollowSession, *, answer: str = "", errors: list[str] | None = None,
          status_code: int = 200) -> Response:
    with request.app.state.db.transaction() as session:
        view = load_view(session, follow)
        handin = handin_status_for_follow_up(session, follow.submission_id) if view and view.kind == "handin" else None
    if view is None:
        return _ended(RedirectResponse("/follow", status_code=303))
    return render(request, "intake/follow/view.html",
                  {"view": view, "answer": answer, "errors": errors or [], "limits": limit_values(),
                   "sent": request.query_params.get("sent") == "1", "action": UPLOAD_PREFIX,
                   "answer_max": ANSWER_MAX, "handin": handin,
                   "certificate_form": {"action": CERTIFICATE_PATH, "fields": {}}},
                  status_code=status_code)


async def conversation(request: Request) -> Response:
    """Show the status and the conversation with the office, opened with the reporter's key."""
    follow = _session(request)
    if follow is None:
        return RedirectResponse("/follow", status_code=303)
    return _view(request, follow)


async def answer(request: Request) -> Response:
    """Send the office more text or files; sealed on arrival, in memory, to the office and the reporter."""
    follow = _session(request)
    try:
        upload = await read_upload(request, limits=LIMITS)
    except UploadRefused:
        raise HTTPException(status_code=400) from None
    check_csrf(request, upload.fields.get("csrf_token", ""))
    if follow is None:
        return RedirectResponse("/follow", status_code=303)
    body = upload.fields.get("text", "").replace("\r\n", "\n").strip()
    errors = [FILE_MESSAGES[p] for p in FileProblem if p in upload.problems]
    if upload.sealed_in_browser or any(a.description is None for a in upload.sealed):
        raise HTTPException(status_code=400)
    if len(body) > ANSWER_MAX:
        errors.append("内容过长，最多 {n} 个字。")
    if not body and not upload.file_count:
        errors.append(ANSWER_EMPTY)
    if not errors:
        try:
            attachments = await run_in_threadpool(seal_all, upload)
        except UnreadableImage:
            errors.append(IMAGE_UNREADABLE)
    if errors:
        if upload.file_count:
            errors.append(RESELECT)
        return _view(request, follow, answer=body, errors=errors, status_code=400)
    with request.app.state.db.transaction() as session:
        add_answer(session, follow, text=body, attachments=attachments)
    return RedirectResponse("/follow/view?sent=1", status_code=303)


async def certificate(request: Request) -> Response:
    """A staff member downloads the hand-in certificate, opened with the key their receipt code unwrapped."""
    await read_form(request, max_fields=5)
    follow = _session(request)
    if follow is None:
        return RedirectResponse("/follow", status_code=303)
    return follow_up_certificate_download(request, submission_id=follow.submission_id,
                                          reporter_key=follow.reporter_key)


def _ended(response: Response) -> Response:
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


async def end(request: Request) -> Response:
    """Forget the follow-up session in this browser."""
    await read_form(request, max_fields=5)
    return _ended(RedirectResponse("/follow", status_code=303))


routes = [
    Route("/follow", enter_code, methods=["GET"]),
    Route("/follow", check, methods=["POST"]),
    Route("/follow/view", conversation, methods=["GET"]),
    Route(UPLOAD_PREFIX, answer, methods=["POST"]),
    Route("/follow/end", end, methods=["POST"]),
    Route(CERTIFICATE_PATH, certificate, methods=["POST"]),
]
