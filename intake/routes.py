"""Public pages that need no poster: the home page and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.forms import read_form, text
from intake.models import Audience, Hospital, Poster
from intake.rendering import LANG_COOKIE, LANGUAGES, render


async def home(request: Request) -> Response:
    """Show what the portal is, and each hospital's hospital-wide channel for those who typed the address."""
    with request.app.state.db.read() as session:
        hospitals = session.execute(
            select(Hospital.name, Poster.code)
            .join(Poster, Poster.hospital_id == Hospital.id)
            .where(Poster.department_id.is_(None), Poster.audience == Audience.PATIENT)
            .order_by(Hospital.name)
        ).all()
    return render(request, "intake/home.html", {"hospitals": hospitals})


async def switch_language(request: Request) -> Response:
    """Remember the chosen language and return to the page it was chosen on."""
    form = await read_form(request)
    lang = text(form, "lang", max_length=5)
    back = text(form, "next", max_length=2000)
    # Only a path on this site: never an open redirect.
    safe = back.startswith("/") and back[1:2] not in ("/", "\\") and not urlsplit(back).netloc
    target = back if safe else "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


routes = [
    Route("/", home, methods=["GET"]),
    Route("/lang", switch_language, methods=["POST"]),
]
