"""评价码: issue batches of one-time codes for slips, print them, download them as CSV, void a lost batch."""

from __future__ import annotations

import csv
import io

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.forms import read_form, text
from intake.rating_codes import code_pepper
from intake.rendering import render
from portal.auth import CurrentOfficer
from portal.office.guard import require_reader
from portal.office.ratings import _hospital
from portal.rating_code_batches import MAX_BATCH, BatchError, Sheet, issue_batch, list_batches, open_sheet, void_batch
from portal.rating_stats import department_names


def _page(request: Request, officer: CurrentOfficer, *, error: str | None = None,
          values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    hospital = _hospital(request, officer)
    with request.app.state.db.transaction() as session:
        batches = list_batches(session, office_id=officer.office_id)
        departments = department_names(session, hospital_id=hospital.id)
    return render(request, "office/ratings/codes.html", {
        "officer": officer, "batches": batches, "departments": departments, "error": error,
        "values": values or {"size": "200", "label": "", "department": ""}, "max_batch": MAX_BATCH,
    }, status_code=status_code)


async def codes_page(request: Request) -> Response:
    """List the batches of rating codes and offer a new one."""
    return _page(request, require_reader(request))


async def codes_issue(request: Request) -> Response:
    """Issue a batch, then go to its printable sheet."""
    officer = require_reader(request)
    form = await read_form(request)
    hospital = _hospital(request, officer)
    values = {"label": text(form, "label", max_length=200), "size": text(form, "size", max_length=10),
              "department": text(form, "department", max_length=12)}
    with request.app.state.db.transaction() as session:
        departments = department_names(session, hospital_id=hospital.id)
    dept = values["department"]
    if not values["size"].isdigit():
        return _page(request, officer, error="数量须为 1 至 2000 之间的整数", values=values, status_code=400)
    if dept and (not dept.isdigit() or int(dept) not in departments):
        return _page(request, officer, error="请从列表中选择科室", values=values, status_code=400)
    pepper = code_pepper(request.app.state.settings.secret.reveal())
    try:
        with request.app.state.db.transaction() as session:
            batch = issue_batch(session, officer=officer, hospital_id=hospital.id,
                                department_id=int(dept) if dept else None, label=values["label"],
                                size=int(values["size"]), pepper=pepper)
    except BatchError as refused:
        return _page(request, officer, error=str(refused), values=values, status_code=400)
    return RedirectResponse(f"/office/ratings/codes/{batch.id}/sheet", status_code=303)


def _sheet(request: Request, officer: CurrentOfficer, purpose: str) -> Sheet:
    hospital = _hospital(request, officer)
    raw = request.path_params["batch_id"]
    with request.app.state.db.transaction() as session:
        sheet = open_sheet(session, officer=officer, batch_id=raw, hospital_name=hospital.name, purpose=purpose)
    if sheet is None:
        raise HTTPException(status_code=404)
    return sheet


async def codes_sheet(request: Request) -> Response:
    """A printable sheet of slips: hospital, where to rate, and one code each."""
    officer = require_reader(request)
    sheet = _sheet(request, officer, "printed")
    public_url = request.app.state.settings.public_url
    return render(request, "office/ratings/code_sheet.html",
                  {"officer": officer, "sheet": sheet, "rating_url": public_url + sheet.rating_path})


async def codes_csv(request: Request) -> Response:
    """The batch's codes as CSV (UTF-8 with BOM, so that Excel shows the Chinese headings)."""
    officer = require_reader(request)
    sheet = _sheet(request, officer, "downloaded")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["序号", "评价码", "评价地址", "批次"])
    url = request.app.state.settings.public_url + sheet.rating_path
    for number, code in enumerate(sheet.codes, start=1):
        writer.writerow([number, code, url, sheet.batch.label])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="rating-codes-{sheet.batch.id}.csv"'})


async def codes_void(request: Request) -> Response:
    """Void a lost or misprinted batch: its unused codes stop working at once."""
    officer = require_reader(request)
    await read_form(request)
    with request.app.state.db.transaction() as session:
        if not void_batch(session, officer=officer, batch_id=request.path_params["batch_id"]):
            raise HTTPException(status_code=404)
    return RedirectResponse("/office/ratings/codes", status_code=303)


routes = [
    Route("/office/ratings/codes", codes_page, methods=["GET"]),
    Route("/office/ratings/codes", codes_issue, methods=["POST"]),
    Route("/office/ratings/codes/{batch_id:int}/sheet", codes_sheet, methods=["GET"]),
    Route("/office/ratings/codes/{batch_id:int}/codes.csv", codes_csv, methods=["GET"]),
    Route("/office/ratings/codes/{batch_id:int}/void", codes_void, methods=["POST"]),
]
