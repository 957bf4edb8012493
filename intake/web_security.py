"""ASGI middleware every response passes through: strict headers, a body-size limit, cross-site refusal."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CSRF_COOKIE = "hip_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityHeaders:
    """Add the same strict headers to every response, errors and static files included."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                                    b"interest-cohort=()"),
        ]
        if https:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names_to_replace = {b"server", b"cache-control"} if not is_static else {b"server"}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names_to_replace]
                headers.extend(self.headers)
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """The request body passed the limit for its route."""


class RefuseNul:
    """Refuse a NUL character in the path or the query with 400: no page has a use for one, and PostgreSQL
    refuses it in text (a query parameter carrying it would fail as a 500)."""

    def __init__(self, app: ASGIApp, *, on_refused: ASGIApp) -> None:
        self.app = app
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
                                        or b"\x00" in scope.get("query_string", b"")):
            await self.on_refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTimedOut(Exception):
    """The client sent no part of its body for longer than the idle limit."""


class BodyLimit:
    """Refuse bodies over a per-path limit with 413, whether or not a Content-Length was sent, and bodies that
    stall (no data for `idle_seconds`) with 408, so that a slow client cannot hold a worker's memory forever."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int], on_too_large: ASGIApp,
                 idle_seconds: float = 20.0, on_timeout: ASGIApp | None = None) -> None:
        self.app = app
        self.limit_for = limit_for
        self.on_too_large = on_too_large
        self.idle_seconds = idle_seconds
        self.on_timeout = on_timeout or on_too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await self.on_too_large(scope, receive, send)
                return
        received = 0
        started = False
        body_done = False

        async def counting_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # later receives wait for a disconnect: no idle limit on those
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                raise BodyTimedOut() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self.on_too_large(scope, receive, send)
        except BodyTimedOut:
            if started:
                raise
            await self.on_timeout(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is treated as no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class CrossSiteGuard:
    """Refuse state-changing requests from other sites, and give every browser a CSRF cookie.

    The form token (checked by `intake.forms`) is derived from the cookie; this layer refuses what a
    browser itself marks as cross-site before any handler runs.
    """

    def __init__(self, app: ASGIApp, *, on_refused: ASGIApp, secure_cookie: bool) -> None:
        self.app = app
        self.on_refused = on_refused
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not self._same_origin(scope):
            await self.on_refused(scope, receive, send)
            return
        token = _cookie(scope, CSRF_COOKIE)
        fresh = token is None or len(token) != 43
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_cookie"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                attributes = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure_cookie else "")
                message.setdefault("headers", []).append(
                    (b"set-cookie", f"{CSRF_COOKIE}={token}; {attributes}".encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _same_origin(scope: Scope) -> bool:
        # Browsers since 2020 send Sec-Fetch-Site: trust it when present.
        site = _header(scope, b"sec-fetch-site")
        if site is not None:
            return site in {"same-origin", "none"}
        # Older browsers: compare Origin with the Host the request was sent to.
        origin = _header(scope, b"origin")
        if origin is not None:
            host = _header(scope, b"host") or ""
            return origin.split("://", 1)[-1] == host
        # Neither header: not a browser's cross-site request (those carry one); the form token still applies.
        return True
