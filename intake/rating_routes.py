"""The rating form (行风满意度评价) behind a patient poster: with JavaScript sealed in the browser, without it
sealed on arrival; a missing answer is said at its question and every other answer kept."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from intake import questionnaire, rating_codes
from intake.chooser import Place, PosterNotUsable, place_of, poster_refusal
from intake.db import utcnow
from intake.forms import read_form, text
from intake.group_commit import IntakeBusy
from intake.models import Audience
from intake.office_keys import current_sealing_key
from intake.ratings import (
    MAX_ENVELOPE,
    Outcome,
    PreparedRating,
    RatingInput,
    active_departments,
    department_poster,
    prepare_rating,
    store_rating,
)
from intake.rendering import render, translate
from intake.throttle import client_key

CODE_REFUSED = "评价码无效或已使用。请核对单据上的 12 位数字；如无评价码，请清空此栏后提交。"
CODE_MALFORMED = "评价码是单据上的 12 位数字，请核对后重新输入。"
THROTTLED = "提交过于频繁，请一小时后再试。您填写的内容仍保留在本页。"
DEPARTMENT_UNKNOWN = "请从列表中选择科室，或选择“不确定”。"
BAD_ENVELOPE = "加密后的内容无法识别，请刷新页面后重新提交。"
BUSY = "系统繁忙，您的评价未能保存，请稍后再提交。您填写的内容仍保留在本页。"


def _form_context(request: Request, place: Place, **extra: Any) -> dict[str, Any]:
    with request.app.state.db.read() as session:
        departments = [] if place.department_id else active_departments(session, place.hospital_id)
        key = current_sealing_key(session, place.hospital_id)
    context: dict[str, Any] = {
        "place": place, "questions": questionnaire.QUESTIONS, "departments": departments,
        "office_public_key": base64.b64encode(key.public_bytes).decode(), "values": {}, "errors": {},
        "message": None, "comment_max": questionnaire.COMMENT_MAX,
    }
    context.update(extra)
    return context


def _rating_place(request: Request) -> Place | Response:
    try:
        place = place_of(request)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    if place.audience is not Audience.PATIENT:
        return RedirectResponse(f"/q/{place.code}", status_code=303)
    return place


async def rating_form(request: Request) -> Response:
    """Show the short questionnaire for this poster's hospital and department."""
    place = _rating_place(request)
    if isinstance(place, Response):
        return place
    return render(request, "intake/rating/form.html", _form_context(request, place))


def _department(request: Request, place: Place, form: FormData, errors: dict[str, str]) -> int | None:
    if place.department_id is not None:
        return place.department_id
    chosen = text(form, "department", max_length=12)
    if not chosen:
        return None
    with request.app.state.db.read() as session:
        known = {d.id for d in active_departments(session, place.hospital_id)}
    if not chosen.isdigit() or int(chosen) not in known:
        errors["department"] = DEPARTMENT_UNKNOWN
        return None
    return int(chosen)


def _envelope(form: FormData) -> bytes | None:
    raw = text(form, "envelope", max_length=MAX_ENVELOPE * 2)
    if not raw:
        return None
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        return b""


async def rating_submit(request: Request) -> Response:
    """Check the code or the throttle, seal the answers (unless the browser did) and thank the patient."""
    place = _rating_place(request)
    if isinstance(place, Response):
        return place
    form = await read_form(request, max_fields=30, max_part_size=MAX_ENVELOPE * 2)
    wants_json = "application/json" in request.headers.get("accept", "")
    values = {name: text(form, name, max_length=questionnaire.COMMENT_MAX * 2)
              for name in [*questionnaire.BY_KEY, questionnaire.COMMENT]}
    errors: dict[str, str] = {}
    department_id = _department(request, place, form, errors)
    typed_code = text(form, "code", max_length=64)
    code = rating_codes.normalise_code(typed_code) if typed_code else None
    if typed_code and code is None:
        errors["code"] = CODE_MALFORMED
    envelope = _envelope(form)
    filled = None
    if envelope is None:
        try:
            filled = questionnaire.check(values)
        except questionnaire.IncompleteRating as incomplete:
            errors.update(incomplete.errors)
    if errors:
        return _refused(request, place, values, typed_code, department_id, errors, None, 400, wants_json)
    state = request.app.state
    secret = state.settings.secret.reveal()
    now = utcnow()
    rating = RatingInput(hospital_id=place.hospital_id, department_id=department_id, filled=filled,
                         envelope=envelope, code=code)
    prepared = prepare_rating(rating, state.sealing_keys.remembered(place.hospital_id))
    if isinstance(prepared, PreparedRating):
        client, pepper = client_key(request.scope, secret=secret, now=now), rating_codes.code_pepper(secret)
        sealing_keys, open_per_hour = state.sealing_keys, state.settings.open_ratings_per_hour
        try:
            stored = await state.intake_writer.run(lambda group: store_rating(
                group, prepared, key=sealing_keys.confirmed(group, rating.hospital_id), client=client,
                pepper=pepper, now=now, open_per_hour=open_per_hour))
        except IntakeBusy:
            return _refused(request, place, values, typed_code, department_id, {}, BUSY, 503, wants_json)
    else:
        stored = prepared
    if stored.outcome is Outcome.CODE_REFUSED:
        return _refused(request, place, values, typed_code, department_id, {"code": CODE_REFUSED}, None, 400,
                        wants_json)
    if stored.outcome is Outcome.THROTTLED:
        return _refused(request, place, values, typed_code, department_id, {}, THROTTLED, 429, wants_json)
    if stored.outcome is Outcome.BAD_ENVELOPE:
        return _refused(request, place, values, typed_code, department_id, {}, BAD_ENVELOPE, 400, wants_json)
    mode = "browser" if envelope is not None else "server"
    # A department's own poster is already the right one; only a hospital-wide poster needs the lookup.
    report_code = place.code if department_id == place.department_id else _department_poster(
        request, place.hospital_id, department_id)
    target = f"/q/{report_code or place.code}/rate/thanks?sealed={mode}"
    if wants_json:
        return JSONResponse({"ok": True, "next": target})
    return RedirectResponse(target, status_code=303)


def _department_poster(request: Request, hospital_id: int, department_id: int | None) -> str | None:
    with request.app.state.db.read() as session:
        return department_poster(session, hospital_id=hospital_id, department_id=department_id)


def _refused(request: Request, place: Place, values: dict[str, str], typed_code: str, department_id: int | None,
             errors: dict[str, str], message: str | None, status: int, wants_json: bool) -> Response:
    if wants_json:
        return JSONResponse(
            {"ok": False, "errors": {k: translate(request, v) for k, v in errors.items()},
             "message": translate(request, message) if message else None},
            status_code=status,
        )
    context = _form_context(request, place, values={**values, "code": typed_code, "department": department_id},
                            errors=errors, message=message)
    return render(request, "intake/rating/form.html", context, status_code=status)


async def rating_thanks(request: Request) -> Response:
    """Thank the patient, say how the answers were sealed, and offer to report (department kept)."""
    try:
        place = place_of(request)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    sealed = request.query_params.get("sealed")
    return render(request, "intake/rating/thanks.html",
                  {"place": place, "sealed": sealed if sealed in ("browser", "server") else None})


routes = [
    Route("/q/{code:str}/rate", rating_form, methods=["GET"]),
    Route("/q/{code:str}/rate", rating_submit, methods=["POST"]),
    Route("/q/{code:str}/rate/thanks", rating_thanks, methods=["GET"]),
]
