"""Reading forms safely: explicit limits, the CSRF token, and one error for a refused form."""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """The token a page puts in its forms: an HMAC of this browser's CSRF cookie."""
    cookie = request.scope.get("state", {}).get("csrf_cookie", "")
    key: bytes = request.app.state.csrf_key
    digest = hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def check_csrf(request: Request, submitted: str) -> None:
    if not submitted or not hmac.compare_digest(submitted.encode(), csrf_token(request).encode()):
        raise HTTPException(status_code=403, detail="csrf")


async def read_form(
    request: Request, *, max_fields: int = 50, max_part_size: int = 64 * 1024, max_files: int = 0
) -> FormData:
    """Parse a form with limits and check its CSRF token; refuse with a 4xx, never a 500."""
    try:
        form = await request.form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)
    except MultiPartException:
        raise HTTPException(status_code=400, detail="form") from None
    token = form.get(TOKEN_FIELD)
    check_csrf(request, token if isinstance(token, str) else request.headers.get(TOKEN_HEADER, ""))
    return form


def text(form: FormData, name: str, *, max_length: int = 10_000) -> str:
    """A text field, stripped; absent or a file reads as empty; longer than allowed is refused."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > max_length or "\x00" in value:  # nobody types a NUL; PostgreSQL refuses one in text
        raise HTTPException(status_code=400, detail="form")
    return value.strip()
