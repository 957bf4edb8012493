"""Office actions on a report: open the identity (logged), reply, set the status, download an attachment."""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import CryptoError
from intake.forms import read_form, text
from intake.sealing import PayloadError
from portal.casework import MAX_TEXT, CaseError, attachment_file, open_identity, reply, set_status
from portal.office.guard import require_reader
from portal.office.inbox import show_submission

SAFE_TYPES = {"image/jpeg", "image/png", "application/pdf"}
CASE_ERRORS = {"reply": "回复内容不能为空，最多5000字。", "status": "请选择有效的办理状态；结果说明最多5000字。"}


def _back(submission_id: str) -> RedirectResponse:
    return RedirectResponse(f"/office/submissions/{submission_id}", status_code=303)


async def identity(request: Request) -> Response:
    """Show the reporter's real name and contact: an explicit, audited action."""
    officer = require_reader(request)
    await read_form(request, max_fields=5)
    try:
        with request.app.state.db.transaction() as session:
            opened = open_identity(session, officer=officer, submission_id=request.path_params["submission_id"])
    except LookupError:
        raise HTTPException(status_code=404) from None
    except (CryptoError, PayloadError):
        raise HTTPException(status_code=409) from None
    return show_submission(request, officer, extra={"identity": opened})


async def send_reply(request: Request) -> Response:
    """Reply to the reporter (sealed to their key and to the office key)."""
    officer = require_reader(request)
    form = await read_form(request, max_fields=5)
    submission_id = request.path_params["submission_id"]
    try:
        with request.app.state.db.transaction() as session:
            reply(session, officer=officer, submission_id=submission_id, text=text(form, "text", max_length=MAX_TEXT))
    except LookupError:
        raise HTTPException(status_code=404) from None
    except CaseError:
        return show_submission(request, officer, extra={"case_error": CASE_ERRORS["reply"]}, status_code=400)
    return _back(submission_id)


async def change_status(request: Request) -> Response:
    """Set the status the reporter sees, with the result text the office chooses to give."""
    officer = require_reader(request)
    form = await read_form(request, max_fields=5)
    submission_id = request.path_params["submission_id"]
    try:
        with request.app.state.db.transaction() as session:
            set_status(session, officer=officer, submission_id=submission_id,
                       status=text(form, "status", max_length=20),
                       result_text=text(form, "result", max_length=MAX_TEXT))
    except LookupError:
        raise HTTPException(status_code=404) from None
    except CaseError:
        return show_submission(request, officer, extra={"case_error": CASE_ERRORS["status"]}, status_code=400)
    return _back(submission_id)


async def download(request: Request) -> Response:
    """Decrypt an attachment for the officer, as a download (never rendered inline)."""
    officer = require_reader(request)
    try:
        with request.app.state.db.transaction() as session:
            found = attachment_file(session, officer=officer, submission_id=request.path_params["submission_id"],
                                    attachment_id=request.path_params["attachment_id"])
            if found is None:
                raise HTTPException(status_code=404)
            description, chunks = found
            # Decrypt while the session is open; a chunk that does not open stops the download with a 409.
            body = b"".join(chunks)
    except LookupError:
        raise HTTPException(status_code=404) from None
    except (CryptoError, PayloadError):
        raise HTTPException(status_code=409) from None
    media = description.type if description.type in SAFE_TYPES else "application/octet-stream"
    # The name is the server's (附件1.pdf) unless a browser-sealed envelope chose one: no folder, no control
    # character, every byte outside RFC 5987's attr-chars percent-encoded (RFC 6266 filename*).
    name = "".join(ch for ch in description.name if ch.isprintable()).replace("/", "_").replace("\\", "_")[:200]
    headers = {"content-disposition": "attachment; filename=\"attachment\"; "
                                      f"filename*=UTF-8''{quote(name or 'attachment', safe='')}"}
    return Response(body, media_type=media, headers=headers)


routes = [
    Route("/office/submissions/{submission_id:str}/identity", identity, methods=["POST"]),
    Route("/office/submissions/{submission_id:str}/reply", send_reply, methods=["POST"]),
    Route("/office/submissions/{submission_id:str}/status", change_status, methods=["POST"]),
    Route("/office/submissions/{submission_id:str}/files/{attachment_id:str}", download, methods=["GET"]),
]
