"""Reading forms safely: explicit limits, the CSRF token, and one error for a refused form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "x-csrf-token"
URLENCODED = "application/x-www-form-urlencoded"


def csrf_token(request: Request) -> str:
    """The token a page puts in its forms: an HMAC of this browser's CSRF cookie."""
    cookie = request.scope.get("state", {}).get("csrf_cookie", "")
    key: bytes = request.app.state.csrf_key
    digest = hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def check_csrf(request: Request, submitted: str) -> None:
    if not submitted or not hmac.compare_digest(submitted.encode(), csrf_token(request).encode()):
        raise HTTPException(status_code=403, detail="csrf")


def _urlencoded(body: bytes, *, max_fields: int, max_part_size: int) -> FormData:
    """A URL-encoded form, parsed by the standard library (a third of the cost of Starlette's streaming parser for
    the rating form, which every patient posts), with the same limits."""
    try:
        pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, encoding="utf-8",
                                       errors="replace", max_num_fields=max_fields)
    except ValueError:  # more fields than allowed
        raise HTTPException(status_code=400, detail="form") from None
    if any(len(value) > max_part_size for _, value in pairs):
        raise HTTPException(status_code=400, detail="form")
    return FormData(pairs)


async def read_form(
    request: Request, *, max_fields: int = 50, max_part_size: int = 64 * 1024, max_files: int = 0
) -> FormData:
    """Parse a form with limits and check its CSRF token; refuse with a 4xx, never a 500."""
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() == URLENCODED:
        form = _urlencoded(await request.body(), max_fields=max_fields, max_part_size=max_part_size)
    else:
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
