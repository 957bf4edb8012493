"""Public pages of the hand-in register: the form, its receipt page, and certificate verification.

For the lead wiring /follow (issue 3): once the follow-up page has found the submission and opened the reporter
key from the receipt code, a POST handler there calls `follow_up_certificate_download(request,
submission_id=..., reporter_key=...)` and returns its response. The page itself includes
templates/intake/follow/_handin.html with `handin=handin_status_for_follow_up(session, submission_id)`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import PrivateKey, format_receipt
from intake.certificates import verify_certificate
from intake.chooser import Place, PosterNotUsable, place_of, poster_refusal
from intake.costly import run_costly
from intake.db import utcnow
from intake.forms import read_form, text
from intake.handin_follow import certificate_for_follow_up, certificate_response
from intake.handins import TEXT_LIMITS, Checked, check_form, china_today, register_handin, staff_departments
from intake.models import Audience
from intake.receipts import prepare_receipt, receipt_pepper
from intake.rendering import render, translate
from intake.workdays import DEFAULT_DEADLINE_WORKING_DAYS, OFFICIAL, china_text

FIELDS = tuple(TEXT_LIMITS)


def deadline_days(request: Request) -> int:
    return int(getattr(request.app.state.settings, "handin_deadline_working_days", DEFAULT_DEADLINE_WORKING_DAYS))


def _form_page(request: Request, place: Place, checked: Checked | None, *, status_code: int = 200) -> Response:
    with request.app.state.db.read() as session:
        departments = [] if place.department_id else staff_departments(session, place.hospital_id)
    today = china_today(utcnow())
    values = checked.values if checked else {"received_on": today.isoformat(), "requested": "deposit"}
    errors = {name: translate(request, message) for name, message in (checked.errors if checked else {}).items()}
    return render(request, "intake/handin/form.html", {
        "place": place, "departments": departments, "values": values, "errors": errors, "today": today,
        "deadline_days": deadline_days(request), "deadline_today": OFFICIAL.deadline(today, deadline_days(request)),
    }, status_code=status_code)


async def handin_form(request: Request) -> Response:
    """Show the registration form of a staff-area poster."""
    try:
        place = place_of(request)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    if place.audience is not Audience.STAFF:
        return RedirectResponse(f"/q/{place.code}", status_code=303)
    return _form_page(request, place, None)


async def handin_submit(request: Request) -> Response:
    """Check the form; on success seal and register it and show the receipt code once, in this response."""
    form = await read_form(request, max_fields=40)
    try:
        place = place_of(request)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    if place.audience is not Audience.STAFF:
        return RedirectResponse(f"/q/{place.code}", status_code=303)
    values = {name: text(form, name, max_length=TEXT_LIMITS[name]) for name in FIELDS}
    now = utcnow()
    with request.app.state.db.transaction() as session:
        department_ids = {d.id for d in staff_departments(session, place.hospital_id)}
    checked = check_form(values, place=place, department_ids=department_ids, now=now)
    if checked.draft is None:
        return _form_page(request, place, checked, status_code=400)
    settings = request.app.state.settings
    prepared = await run_costly(
        prepare_receipt, pepper=receipt_pepper(settings.secret.reveal()), params=settings.argon2
    )
    draft = checked.draft
    with request.app.state.db.transaction() as session:
        registered = register_handin(session, place=place, draft=draft, prepared=prepared, now=utcnow(),
                                     deadline_days=deadline_days(request))
    return render(request, "intake/handin/receipt.html", {
        "place": place, "registered": registered, "standing": registered.timeliness,
        "receipt_groups": format_receipt(registered.receipt.code).split(" "), "china": china_text,
    })


def follow_up_certificate_download(request: Request, *, submission_id: str, reporter_key: PrivateKey) -> Response:
    """The staff member's certificate, for the follow-up page's session (the receipt code already checked)."""
    with request.app.state.db.transaction() as session:
        certificate = certificate_for_follow_up(session, submission_id=submission_id, reporter_key=reporter_key)
    if certificate is None:
        return render(request, "errors/error.html", {
            "title": "暂无上缴凭证", "status": 404,
            "explanation": "纪检监察室确认收到实物后才会签发上缴凭证，请稍后再查询。"}, status_code=404)
    return certificate_response(certificate)


async def verify_page(request: Request) -> Response:
    """Say whether a certificate is genuine and when it was registered; nothing more."""
    number = request.path_params["number"][:40]
    signature = request.query_params.get("sig", "")[:200]
    with request.app.state.db.read() as session:
        result = verify_certificate(session, number=number, signature_text=signature)
    return render(request, "intake/handin/verify.html", {"result": result, "china": china_text},
                  status_code=200 if result.genuine else 404)


routes = [
    Route("/q/{code:str}/handin", handin_form, methods=["GET"]),
    Route("/q/{code:str}/handin", handin_submit, methods=["POST"]),
    Route("/verify/{number:str}", verify_page, methods=["GET"]),
]
