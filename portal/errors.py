"""Error pages: a clear message in the reader's language for every refusal, never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from intake.rendering import render
from intake.web_security import BodyTimedOut, BodyTooLarge
from portal.office.guard import LoginRequired

log = logging.getLogger("portal")

TITLES = {
    400: "提交的内容无法处理",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持该操作",
    408: "请求超时",
    409: "内容无法解密",
    413: "提交的内容过大",
    429: "请求过于频繁",
    500: "服务器出错",
    503: "系统繁忙",
}
EXPLANATIONS = {
    400: "表单内容不完整或格式有误，请返回上一页检查后重新提交。",
    403: "您无权访问此页面，或表单已过期，请返回后刷新页面再试。",
    404: "您访问的页面不存在，请检查地址是否正确。",
    405: "该地址不支持这种请求方式。",
    408: "连接过慢，提交没有完成，也没有保存任何内容。请检查网络后重新提交。",
    409: "这份内容与其存放位置不符或已被改动，无法解密。此次尝试已记入审计日志，请报告负责人。",
    413: "提交的内容超过了大小限制，请减少附件数量或大小后重试。",
    429: "请稍后再试。",
    500: "出现了意外错误，我们没有保存任何不完整的内容。请稍后重试。",
    503: "系统正忙，这次提交没有保存。请返回上一页，稍后重新提交。",
}


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    status = status if status in TITLES else 400
    return render(
        request, "errors/error.html",
        {"status": status, "title": TITLES[status], "explanation": EXPLANATIONS[status]},
        status_code=status,
    )


async def server_error(request: Request, exc: Exception) -> Response:
    # The exception type only: its message or locals could carry submitted text.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    try:
        return await http_error(request, HTTPException(status_code=500))
    except Exception:
        return plain(500)


async def body_too_large(request: Request, exc: Exception) -> Response:
    # A body without a Content-Length that passed the limit while a handler was reading it.
    return await http_error(request, HTTPException(status_code=413))


async def body_timed_out(request: Request, exc: Exception) -> Response:
    # A client that stopped sending its body mid-way (a slow-loris or a dropped phone connection).
    return await http_error(request, HTTPException(status_code=408))


async def login_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/office/login", status_code=303)


def plain(status: int) -> HTMLResponse:
    body = (
        "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{TITLES[status]}</title><h1>{TITLES[status]}</h1><p>{EXPLANATIONS[status]}</p>"
        "<p><a href='/'>返回首页 / Home</a></p>"
    )
    return HTMLResponse(body, status_code=status)


async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await plain(413)(scope, receive, send)


async def bad_request(scope: Scope, receive: Receive, send: Send) -> None:
    await plain(400)(scope, receive, send)


async def timed_out(scope: Scope, receive: Receive, send: Send) -> None:
    await plain(408)(scope, receive, send)


async def cross_site_refused(scope: Scope, receive: Receive, send: Send) -> None:
    await plain(403)(scope, receive, send)


EXCEPTION_HANDLERS = {
    HTTPException: http_error,
    LoginRequired: login_required,
    BodyTooLarge: body_too_large,
    BodyTimedOut: body_timed_out,
    Exception: server_error,
}
