"""Where a poster's QR code lands: the hospital and department it names, and what one can do there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.models import Audience, Department, Hospital, Office, OfficeKind, Poster
from intake.posters import resolve
from intake.rendering import render


@dataclass(frozen=True)
class Place:
    """What a poster code stands for, as the public pages need it."""

    code: str
    audience: Audience
    hospital_id: int
    hospital_name: str
    department_id: int | None
    department_name: str | None
    hotline: str
    authority_name: str
    authority_hotline: str


class PosterNotUsable(Exception):
    """A poster code that names nothing, or a retired department: the page still offers the channels."""

    def __init__(self, *, status: int, hospital_name: str = "", hospital_code: str | None = None,
                 authority_name: str = "", authority_hotline: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.context = {"hospital_name": hospital_name, "hospital_code": hospital_code,
                        "authority_name": authority_name, "authority_hotline": authority_hotline}


def _hospital_wide_code(session: Session, hospital_id: int) -> str | None:
    return session.scalar(
        select(Poster.code).where(
            Poster.hospital_id == hospital_id, Poster.department_id.is_(None), Poster.audience == Audience.PATIENT
        )
    )


def find_place(session: Session, code: str) -> Place:
    """Resolve a poster code, or raise PosterNotUsable (404 unknown, 410 retired department)."""
    authority = session.scalar(select(Office).where(Office.kind == OfficeKind.AUTHORITY))
    channels = {"authority_name": authority.name if authority else "",
                "authority_hotline": authority.hotline if authority else ""}
    poster = resolve(session, code)
    if poster is None:
        raise PosterNotUsable(status=404, **channels)
    hospital = session.get(Hospital, poster.hospital_id)
    assert hospital is not None
    department = session.get(Department, poster.department_id) if poster.department_id else None
    if department is not None and department.retired_at is not None:
        raise PosterNotUsable(status=410, hospital_name=hospital.name,
                              hospital_code=_hospital_wide_code(session, hospital.id), **channels)
    office = session.scalar(select(Office).where(Office.hospital_id == hospital.id))
    return Place(
        code=poster.code,
        audience=poster.audience,
        hospital_id=hospital.id,
        hospital_name=hospital.name,
        department_id=department.id if department else None,
        department_name=department.name if department else None,
        hotline=office.hotline if office else "",
        **channels,
    )


def place_of(request: Request) -> Place:
    """The place of the `code` path parameter (raises PosterNotUsable; `poster_refusal` renders it)."""
    with request.app.state.db.transaction() as session:
        return find_place(session, request.path_params["code"])


def poster_refusal(request: Request, refused: PosterNotUsable) -> Response:
    return render(request, "intake/poster_unusable.html", {"status": refused.status, **refused.context},
                  status_code=refused.status)


async def chooser(request: Request) -> Response:
    """Offer what a patient (report, rate, follow up) or a staff member (hand in, follow up) can do here."""
    try:
        place = place_of(request)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    return render(request, "intake/chooser.html", {"place": place})


routes = [Route("/q/{code:str}", chooser, methods=["GET"])]
