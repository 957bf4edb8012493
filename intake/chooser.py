"""Where a poster's QR code lands: the hospital and department it names, and what one can do there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.models import Audience, Department, Hospital, Office, OfficeKind, Poster
from intake.posters import clean_code
from intake.prepared import PreparedRead
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


# Built once: composing a select costs more than running it on SQLite.
_AUTHORITY = select(Office.name, Office.hotline).where(Office.kind == OfficeKind.AUTHORITY)
_PLACE = (
    select(Poster.code, Poster.audience, Hospital.id, Hospital.name, Department.id, Department.name,
           Department.retired_at, Office.hotline)
    .join(Hospital, Hospital.id == Poster.hospital_id)
    .outerjoin(Department, Department.id == Poster.department_id)
    .outerjoin(Office, Office.hospital_id == Hospital.id)
    .where(Poster.code == bindparam("code"))
)


def find_place(session: Session, code: str) -> Place:
    """Resolve a poster code, or raise PosterNotUsable (404 unknown, 410 retired department).

    Every QR scan lands here, so it is two indexed queries, not one ORM load per table (which cost five
    round trips and most of the chooser page's time: see bench/README.md), built once.
    """
    authority = session.execute(_AUTHORITY).first()
    channels = {"authority_name": authority.name if authority else "",
                "authority_hotline": authority.hotline if authority else ""}
    cleaned = clean_code(code)
    found = session.execute(_PLACE, {"code": cleaned}).first() if cleaned else None
    if found is None:
        raise PosterNotUsable(status=404, **channels)
    poster_code, audience, hospital_id, hospital_name, department_id, department_name, retired_at, hotline = found
    if department_id is not None and retired_at is not None:
        raise PosterNotUsable(status=410, hospital_name=hospital_name,
                              hospital_code=_hospital_wide_code(session, hospital_id), **channels)
    return Place(
        code=poster_code,
        audience=audience,
        hospital_id=hospital_id,
        hospital_name=hospital_name,
        department_id=department_id,
        department_name=department_name,
        hotline=hotline or "",
        **channels,
    )


_AUTHORITY_OFFICE = aliased(Office)
_PLACE_AT_ONCE = PreparedRead(
    select(Poster.code, Poster.audience, Hospital.id, Hospital.name, Department.id, Department.name,
           Department.retired_at, Office.hotline,
           select(_AUTHORITY_OFFICE.name).where(_AUTHORITY_OFFICE.kind == bindparam("authority")).scalar_subquery(),
           select(_AUTHORITY_OFFICE.hotline).where(_AUTHORITY_OFFICE.kind == bindparam("authority"))
           .scalar_subquery())
    .join(Hospital, Hospital.id == Poster.hospital_id)
    .outerjoin(Department, Department.id == Poster.department_id)
    .outerjoin(Office, Office.hospital_id == Hospital.id)
    .where(Poster.code == bindparam("code"))
)


def place_of(request: Request) -> Place:
    """The place of the `code` path parameter (raises PosterNotUsable; `poster_refusal` renders it).

    Every scan and every rating resolves its poster: one prepared read (intake/prepared.py). A code that names
    nothing or a retired department takes `find_place`, which says which."""
    database = request.app.state.db
    code = clean_code(request.path_params["code"])
    row = _PLACE_AT_ONCE.first(database.engine, {"code": code, "authority": OfficeKind.AUTHORITY.value}) if code \
        else None
    if row is None or (row[4] is not None and row[6] is not None):
        with database.read() as session:
            return find_place(session, request.path_params["code"])
    poster_code, audience, hospital_id, hospital_name, department_id, department_name, _, hotline, \
        authority_name, authority_hotline = row
    return Place(code=poster_code, audience=Audience(audience), hospital_id=hospital_id,
                 hospital_name=hospital_name, department_id=department_id, department_name=department_name,
                 hotline=hotline or "", authority_name=authority_name or "", authority_hotline=authority_hotline or "")


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
