"""Which posters to print: the office's choice, its sheets (codes given to new departments first), and the list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Audience, Department, Hospital, Office, OfficeKind, Poster
from intake.posters import ensure_posters
from portal.posters.layout import SIZES, PosterSheet, font_covers

ALL = "all"
HOSPITAL_WIDE = "hospital"


class BadChoice(Exception):
    """The office asked for posters that cannot be made; the message says why, in Chinese."""


@dataclass(frozen=True)
class PosterChoice:
    audience: Audience
    size: str  # "A4" or "A3"
    department: str  # ALL, HOSPITAL_WIDE, or a department id

    @property
    def query(self) -> str:
        return f"audience={self.audience.value}&size={self.size}&department={self.department}"

    @property
    def file_name(self) -> str:
        return f"posters-{self.audience.value}-{self.size}-{self.department}.pdf"


def parse_choice(params: Mapping[str, str]) -> PosterChoice:
    """Read kind, size and department from the form (defaults: patient, A4, every department)."""
    try:
        audience = Audience(params.get("audience", Audience.PATIENT.value))
    except ValueError:
        raise BadChoice("海报类型只能是“患者”或“医务人员”。") from None
    size = params.get("size", "A4").upper()
    if size not in SIZES:
        raise BadChoice("纸张只能是 A4 或 A3。")
    department = params.get("department", ALL).strip() or ALL
    if department not in (ALL, HOSPITAL_WIDE) and not department.isdigit():
        raise BadChoice("请选择一个科室，或选择“全部科室”。")
    return PosterChoice(audience, size, department)


def public_address(public_url: str, code: str) -> tuple[str, str]:
    """The URL the QR code holds, and the same to type (without "https://", which browsers add themselves)."""
    url = f"{public_url.rstrip('/')}/q/{code}"
    return url, url.removeprefix("https://")


def _channels(session: Session, hospital: Hospital) -> dict[str, str]:
    office = session.scalar(select(Office).where(Office.hospital_id == hospital.id))
    authority = session.scalar(select(Office).where(Office.kind == OfficeKind.AUTHORITY))
    return {
        "hotline": office.hotline if office else "",
        "authority_name": authority.name if authority else "",
        "authority_hotline": authority.hotline if authority else "",
    }


def poster_sheets(session: Session, *, hospital_id: int, choice: PosterChoice, public_url: str) -> list[PosterSheet]:
    """The pages to print: the hospital-wide poster then each active department, or just the one chosen.

    Departments added since the last print get their codes here; existing codes are never changed.
    """
    hospital = session.get(Hospital, hospital_id)
    if hospital is None:
        raise BadChoice("找不到本院。")
    ensure_posters(session, hospital=hospital)
    query = (
        select(Poster, Department)
        .outerjoin(Department, Poster.department_id == Department.id)
        .where(Poster.hospital_id == hospital.id, Poster.audience == choice.audience)
        .order_by(Poster.department_id.is_not(None), Department.id)
    )
    if choice.department == HOSPITAL_WIDE:
        query = query.where(Poster.department_id.is_(None))
    elif choice.department != ALL:
        department = session.get(Department, int(choice.department))
        if department is None or department.hospital_id != hospital.id:
            raise BadChoice("没有这个科室。")
        if department.retired_at is not None:
            raise BadChoice("该科室已撤并，不再打印它的海报；原海报上的二维码会引导到全院通道。")
        query = query.where(Poster.department_id == department.id)
    else:
        query = query.where((Poster.department_id.is_(None)) | (Department.retired_at.is_(None)))
    channels = _channels(session, hospital)
    sheets = []
    for poster, department in session.execute(query):
        url, address = public_address(public_url, poster.code)
        sheets.append(PosterSheet(
            code=poster.code, url=url, address=address, audience=poster.audience, hospital_name=hospital.name,
            department_name=department.name if department else None, **channels,
        ))
    return sheets


def mark_printed(session: Session, *, codes: list[str], now: datetime) -> None:
    """Remember when each code first went to the printer (it is on a wall from then on)."""
    for poster in session.scalars(select(Poster).where(Poster.code.in_(codes), Poster.printed_at.is_(None))):
        poster.printed_at = now


@dataclass(frozen=True)
class DepartmentPosters:
    """One row of the office's list: a department (None: hospital-wide) and its two codes."""

    department_id: int | None
    name: str | None
    category: str | None
    retired: bool
    patient: Poster | None
    staff: Poster | None
    printable: bool = True  # False: the name has a character the poster font lacks (it would print as a box)


def poster_list(session: Session, *, hospital_id: int) -> list[DepartmentPosters]:
    """Every department with its patient and staff codes, retired ones last (their codes still answer)."""
    posters: dict[tuple[int | None, Audience], Poster] = {
        (p.department_id, p.audience): p
        for p in session.scalars(select(Poster).where(Poster.hospital_id == hospital_id))
    }
    rows = [DepartmentPosters(None, None, None, False, posters.get((None, Audience.PATIENT)),
                              posters.get((None, Audience.STAFF)))]
    departments = session.scalars(select(Department).where(Department.hospital_id == hospital_id)
                                  .order_by(Department.retired_at.is_not(None), Department.id))
    for department in departments:
        rows.append(DepartmentPosters(
            department.id, department.name, department.category.value, department.retired_at is not None,
            posters.get((department.id, Audience.PATIENT)), posters.get((department.id, Audience.STAFF)),
            font_covers(department.name),
        ))
    return rows
