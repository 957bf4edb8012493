"""The office's poster pages: the list of codes, a PDF of one or all departments, a PNG preview and a print view."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.db import utcnow
from intake.models import Office
from intake.rendering import render, translate
from portal import audit
from portal.auth import CurrentOfficer
from portal.office.guard import require_officer
from portal.posters.layout import PosterSheet, layout
from portal.posters.render import poster_png, posters_pdf, qr_svg_path
from portal.posters.service import BadChoice, PosterChoice, mark_printed, parse_choice, poster_list, poster_sheets

PREVIEW_WIDTH = 600  # pixels: enough to read the page on the office screen


def _hospital_id(request: Request, officer: CurrentOfficer) -> int | None:
    with request.app.state.db.transaction() as session:
        office = session.get(Office, officer.office_id)
        return office.hospital_id if office else None


def _sheets(request: Request, hospital_id: int, choice: PosterChoice, *, printing: bool,
            officer: CurrentOfficer) -> list[PosterSheet]:
    """The chosen sheets; when they go to the printer, record it (first print date, audit event)."""
    with request.app.state.db.transaction() as session:
        sheets = poster_sheets(session, hospital_id=hospital_id, choice=choice,
                               public_url=request.app.state.settings.public_url)
        if printing:
            mark_printed(session, codes=[s.code for s in sheets], now=utcnow())
            audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="posters_printed",
                         details={"audience": choice.audience.value, "size": choice.size,
                                  "department": choice.department, "pages": len(sheets)})
    return sheets


def _page(request: Request, officer: CurrentOfficer, hospital_id: int | None, choice: PosterChoice,
          error: str | None, status_code: int = 200) -> Response:
    rows = []
    if hospital_id is not None:
        with request.app.state.db.transaction() as session:
            rows = poster_list(session, hospital_id=hospital_id)
    return render(request, "office/posters.html", {
        "officer": officer, "rows": rows, "choice": choice, "error": error, "hospital_id": hospital_id,
        "public_url": request.app.state.settings.public_url,
    }, status_code=status_code)


async def posters_page(request: Request) -> Response:
    """List every department's poster codes and offer the PDF, preview and print view for a choice."""
    officer = require_officer(request)
    hospital_id = _hospital_id(request, officer)
    try:
        choice = parse_choice(request.query_params)
    except BadChoice as bad:
        return _page(request, officer, hospital_id, parse_choice({}), translate(request, str(bad)), 400)
    return _page(request, officer, hospital_id, choice, None)


async def _chosen(request: Request) -> tuple[CurrentOfficer, int, PosterChoice, list[PosterSheet]] | Response:
    officer = require_officer(request)
    hospital_id = _hospital_id(request, officer)
    if hospital_id is None:
        return _page(request, officer, None, parse_choice({}), None, 404)
    printing = not request.url.path.endswith(".png")
    try:
        choice = parse_choice(request.query_params)
        sheets = await run_in_threadpool(_sheets, request, hospital_id, choice, printing=printing, officer=officer)
    except BadChoice as bad:
        return _page(request, officer, hospital_id, parse_choice({}), translate(request, str(bad)), 400)
    return officer, hospital_id, choice, sheets


async def posters_pdf_download(request: Request) -> Response:
    """The chosen posters as one PDF, one page each (made in a worker thread: 500 pages take seconds)."""
    chosen = await _chosen(request)
    if isinstance(chosen, Response):
        return chosen
    _, _, choice, sheets = chosen
    pdf = await run_in_threadpool(posters_pdf, sheets, size=choice.size)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{choice.file_name}"'})


async def posters_preview(request: Request) -> Response:
    """The first page of the choice as a PNG, drawn without any PDF rasteriser."""
    chosen = await _chosen(request)
    if isinstance(chosen, Response):
        return chosen
    sheets = chosen[3]
    png = await run_in_threadpool(poster_png, sheets[0], width_px=PREVIEW_WIDTH)
    return Response(png, media_type="image/png")


async def posters_print_view(request: Request) -> Response:
    """The chosen posters as HTML pages for the browser's print dialogue (the same layout, drawn as SVG)."""
    chosen = await _chosen(request)
    if isinstance(chosen, Response):
        return chosen
    _, _, choice, sheets = chosen
    pages = [(sheet, drawn, qr_svg_path(drawn.qr)) for sheet in sheets for drawn in [layout(sheet)]]
    return render(request, "office/posters_print.html", {"pages": pages, "choice": choice})


routes = [
    Route("/office/posters", posters_page, methods=["GET"]),
    Route("/office/posters/posters.pdf", posters_pdf_download, methods=["GET"]),
    Route("/office/posters/preview.png", posters_preview, methods=["GET"]),
    Route("/office/posters/print", posters_print_view, methods=["GET"]),
]
