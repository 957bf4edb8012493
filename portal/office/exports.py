"""Exports page and downloads: clue ledger, summary table, quarterly report (xlsx, built in memory)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto import CryptoError
from intake.rendering import render
from intake.workdays import china_today
from portal import audit
from portal.clue_rules import parse_date
from portal.exports import ledger_xlsx, summary_xlsx
from portal.office.clues import ledger_filter_from
from portal.office.guard import require_reader
from portal.quarterly import Quarter, quarterly_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, filename: str) -> Response:
    return Response(content, media_type=XLSX, headers={
        "content-disposition": f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"})


def _previous_quarter(today: date) -> Quarter:
    number = (today.month - 1) // 3
    return Quarter(today.year - 1, 4) if number == 0 else Quarter(today.year, number)


def _page(request: Request, problem: str = "", status_code: int = 200) -> Response:
    officer = require_reader(request)
    today = china_today()
    return render(request, "office/exports.html", {
        "officer": officer, "today": today, "year_start": date(today.year, 1, 1),
        "quarter": _previous_quarter(today), "problem": problem, "raw": dict(request.query_params)},
        status_code=status_code)


async def exports_page(request: Request) -> Response:
    """What can be exported, with the period of each."""
    return _page(request)


async def ledger_download(request: Request) -> Response:
    """问题线索台帐 as xlsx (the ledger page's filters apply)."""
    officer = require_reader(request)
    today = china_today()
    wanted = ledger_filter_from(request)

    def build() -> bytes:
        return ledger_xlsx(request.app.state.db, officer=officer, wanted=wanted, today=today)

    try:
        content = await run_in_threadpool(build)  # a large ledger takes seconds: not on the event loop
    except CryptoError:
        with request.app.state.db.transaction() as session:
            audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="decryption_failed",
                         target="ledger")
        return _page(request, "有线索内容无法解密，导出已中止。此次尝试已记入审计日志，请报告负责人。", 409)
    return _download(content, f"问题线索台帐-{today.isoformat()}.xlsx")


async def summary_download(request: Request) -> Response:
    """整治情况汇总表 for a period (cumulative from the campaign's start by default)."""
    officer = require_reader(request)
    today = china_today()
    q = request.query_params
    since = parse_date(q.get("since", "")) if q.get("since") else date(today.year, 1, 1)
    until = parse_date(q.get("until", "")) if q.get("until") else today
    if since is None or until is None:
        return _page(request, "日期无效，请按“年-月-日”填写真实存在的日期，例如 2025-03-05。", 400)
    if since > until:
        return _page(request, "起始日期不能晚于截止日期。", 400)
    with request.app.state.db.transaction() as session:
        content = summary_xlsx(session, officer=officer, since=since, until=until)
    return _download(content, f"整治情况汇总表-{since.isoformat()}至{until.isoformat()}.xlsx")


async def quarterly_download(request: Request) -> Response:
    """The quarterly report for a year and quarter."""
    officer = require_reader(request)
    q = request.query_params
    year, number = q.get("year", ""), q.get("quarter", "")
    if not (year.isdigit() and 2000 <= int(year) <= 2100 and number in {"1", "2", "3", "4"}):
        return _page(request, "请填写有效的年度（如 2025）并选择季度。", 400)
    quarter = Quarter(int(year), int(number))
    with request.app.state.db.transaction() as session:
        content = quarterly_xlsx(session, officer=officer, quarter=quarter, today=china_today(),
                                 acceptance_workdays=request.app.state.settings.acceptance_notice_workdays)
    return _download(content, f"季度报表-{quarter.year}Q{quarter.number}.xlsx")


routes = [
    Route("/office/exports", exports_page, methods=["GET"]),
    Route("/office/exports/ledger.xlsx", ledger_download, methods=["GET"]),
    Route("/office/exports/summary.xlsx", summary_download, methods=["GET"]),
    Route("/office/exports/quarterly.xlsx", quarterly_download, methods=["GET"]),
]
