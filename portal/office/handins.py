"""The office's hand-in pages: the register, one registration with its workflow, certificates and the summary."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import CryptoError
from intake.db import utcnow
from intake.forms import read_form, text
from intake.handin_models import HandInState, Handling
from intake.rendering import render
from intake.workdays import CHINA, china_text
from portal import audit
from portal.auth import CurrentOfficer
from portal.handin_summary import Signatories, Summary, summarize, to_xlsx
from portal.handins import (
    HandInNotFound,
    HandlingRecord,
    WrongStep,
    certificate_for_office,
    confirm_receipt,
    count_by_state,
    list_handins,
    open_handin,
    record_handling,
)
from portal.office.guard import require_reader

TABS = ("registered", "confirmed", "handled", "all")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return utcnow().astimezone(CHINA).date()


async def register_page(request: Request) -> Response:
    """List hand-ins by state (plain fields only: no key is used to list)."""
    officer = require_reader(request)
    tab = request.query_params.get("state", "registered")
    tab = tab if tab in TABS else "registered"
    with request.app.state.db.transaction() as session:
        rows = list_handins(session, office_id=officer.office_id,
                            state=None if tab == "all" else HandInState(tab))
        counts = count_by_state(session, office_id=officer.office_id)
    return render(request, "office/handins/list.html",
                  {"officer": officer, "rows": rows, "tab": tab, "counts": counts, "china": china_text})


def _detail(request: Request, submission_id: str, *, errors: dict[str, str] | None = None,
            values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    officer = require_reader(request)
    try:
        with request.app.state.db.transaction() as session:
            item = open_handin(session, officer=officer, submission_id=submission_id)
    except HandInNotFound:
        raise HTTPException(status_code=404) from None
    except CryptoError:
        with request.app.state.db.transaction() as session:
            audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="decryption_failed",
                         target=submission_id)
        raise HTTPException(status_code=409) from None
    if item.row.handling and item.handled_on:  # correcting: start from what was recorded
        defaults = {"handling": item.row.handling, "handled_on": item.handled_on.isoformat(),
                    **{k: str(item.handling.get(k, "")) for k in ("handler", "slip_number", "note")}}
    else:  # start from what the staff member asked for
        requested = str(item.fields.get("requested", ""))
        defaults = {"handled_on": _today().isoformat(), "handler": officer.display_name,
                    "handling": requested if requested != "office" else ""}
    return render(request, "office/handins/detail.html", {
        "officer": officer, "item": item, "errors": errors or {}, "values": values or defaults,
        "china": china_text, "today": _today(),
    }, status_code=status_code)


async def detail_page(request: Request) -> Response:
    """Decrypt one registration in the officer's session and offer the next step."""
    return _detail(request, request.path_params["submission_id"])


async def confirm_submit(request: Request) -> Response:
    """Record that the envelope or item reached the office; the first certificate is signed."""
    officer = require_reader(request)
    form = await read_form(request)
    submission_id = request.path_params["submission_id"]
    note = text(form, "note", max_length=1000)

    def confirm() -> None:
        with request.app.state.db.transaction() as session:
            confirm_receipt(session, officer=officer, submission_id=submission_id, note=note, now=utcnow(),
                            public_url=request.app.state.settings.public_url)

    try:
        await run_in_threadpool(confirm)  # signing and rendering the PDF take tens of milliseconds
    except HandInNotFound:
        raise HTTPException(status_code=404) from None
    except WrongStep:
        pass  # confirmed already (a second click): show the page as it is
    return RedirectResponse(f"/office/handins/{submission_id}", status_code=303)


def check_handling(values: dict[str, str], *, today: date) -> tuple[HandlingRecord | None, dict[str, str]]:
    errors: dict[str, str] = {}
    try:
        handling: Handling | None = Handling(values["handling"])
    except ValueError:
        handling = None
        errors["handling"] = "请选择处理方式。"
    handled_on: date | None = None
    try:
        handled_on = date.fromisoformat(values["handled_on"])
    except ValueError:
        errors["handled_on"] = "请填写处理日期。"
    if handled_on and handled_on > today:
        errors["handled_on"] = "处理日期不能晚于今天。"
    if not values["handler"]:
        errors["handler"] = "请填写经办人。"
    if handling is Handling.DEPOSIT and not values["slip_number"]:
        errors["slip_number"] = "冲抵住院预交金时请填写预交金单据号。"
    if errors or handling is None or handled_on is None:
        return None, errors
    return HandlingRecord(handling=handling, handled_on=handled_on, handler=values["handler"],
                          slip_number=values["slip_number"], note=values["note"]), {}


async def handling_submit(request: Request) -> Response:
    """Record what was done with it, by whom and when; the certificate is signed anew."""
    officer = require_reader(request)
    form = await read_form(request)
    submission_id = request.path_params["submission_id"]
    values = {"handling": text(form, "handling", max_length=20), "handled_on": text(form, "handled_on", max_length=10),
              "handler": text(form, "handler", max_length=50), "slip_number": text(form, "slip_number", max_length=50),
              "note": text(form, "note", max_length=1000)}
    record, errors = check_handling(values, today=_today())
    if record is None:
        return _detail(request, submission_id, errors=errors, values=values, status_code=400)
    def save() -> None:
        with request.app.state.db.transaction() as session:
            record_handling(session, officer=officer, submission_id=submission_id, record=record, now=utcnow(),
                            public_url=request.app.state.settings.public_url)

    try:
        await run_in_threadpool(save)
    except HandInNotFound:
        raise HTTPException(status_code=404) from None
    except WrongStep:
        return _detail(request, submission_id, errors={"handling": "请先确认收到实物，再记录处理方式。"},
                       values=values, status_code=409)
    return RedirectResponse(f"/office/handins/{submission_id}", status_code=303)


async def certificate_download(request: Request) -> Response:
    """The newest signed certificate as a PDF (recorded in the audit trail)."""
    officer = require_reader(request)
    def build() -> tuple[str, bytes]:
        with request.app.state.db.transaction() as session:
            return certificate_for_office(session, officer=officer, submission_id=request.path_params["submission_id"],
                                          public_url=request.app.state.settings.public_url)

    try:
        filename, pdf = await run_in_threadpool(build)
    except (HandInNotFound, WrongStep):
        raise HTTPException(status_code=404) from None
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _period(request: Request) -> tuple[date, date, Signatories, dict[str, str]]:
    today = _today()
    params = request.query_params
    errors: dict[str, str] = {}

    def day(name: str, default: date) -> date:
        typed = params.get(name, "")
        if not typed:
            return default
        try:
            return date.fromisoformat(typed)
        except ValueError:
            errors[name] = "日期格式为 年-月-日。"
            return default

    start, end = day("from", date(today.year, 1, 1)), day("to", today)
    if start > end:
        errors["from"] = "开始日期不能晚于结束日期。"
        start, end = end, start
    signatories = Signatories(filled_by=params.get("filled_by", "")[:50], reviewer=params.get("reviewer", "")[:50],
                              phone=params.get("phone", "")[:50])
    return start, end, signatories, errors


def _summarize(request: Request, officer: CurrentOfficer, start: date, end: date, *, export: bool = False) -> Summary:
    """Open every registration of the range (a few hundred take ~0.2 s: off the event loop)."""
    with request.app.state.db.transaction() as session:
        summary = summarize(session, officer=officer, start=start, end=end)
        if export:
            audit.record(session, office_id=officer.office_id, officer_id=officer.id,
                         action="handin_summary_export", details={"from": start.isoformat(), "to": end.isoformat()})
    return summary


async def summary_page(request: Request) -> Response:
    """The seed's summary table for any range of registration dates."""
    officer = require_reader(request)
    start, end, signatories, errors = _period(request)
    if not signatories.filled_by:
        signatories = Signatories(filled_by=officer.display_name, reviewer=signatories.reviewer,
                                  phone=signatories.phone)
    summary = await run_in_threadpool(_summarize, request, officer, start, end)
    query = "&".join(f"{k}={quote(v)}" for k, v in (("from", start.isoformat()), ("to", end.isoformat()),
                                                      ("filled_by", signatories.filled_by),
                                                      ("reviewer", signatories.reviewer),
                                                      ("phone", signatories.phone)))
    return render(request, "office/handins/summary.html", {
        "officer": officer, "summary": summary, "signatories": signatories, "errors": errors,
        "xlsx_url": f"/office/handins/summary.xlsx?{query}",
    })


async def summary_xlsx(request: Request) -> Response:
    """The same table as an xlsx file to file upwards."""
    officer = require_reader(request)
    start, end, signatories, _ = _period(request)
    summary = await run_in_threadpool(_summarize, request, officer, start, end, export=True)
    name = f"主动说明问题情况汇总表_{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    return Response(to_xlsx(summary, signatories), media_type=XLSX, headers={
        "content-disposition": f"attachment; filename=\"handin-summary.xlsx\"; filename*=UTF-8''{quote(name)}"})


routes = [
    Route("/office/handins", register_page, methods=["GET"]),
    Route("/office/handins/summary", summary_page, methods=["GET"]),
    Route("/office/handins/summary.xlsx", summary_xlsx, methods=["GET"]),
    Route("/office/handins/{submission_id:str}", detail_page, methods=["GET"]),
    Route("/office/handins/{submission_id:str}/confirm", confirm_submit, methods=["POST"]),
    Route("/office/handins/{submission_id:str}/handling", handling_submit, methods=["POST"]),
    Route("/office/handins/{submission_id:str}/certificate.pdf", certificate_download, methods=["GET"]),
]
