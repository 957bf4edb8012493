"""The authority's administrator adds a hospital: the hospital, its departments, its office with keys and
recovery code, its first head, its posters. One transaction: any error leaves nothing behind.

Runs Argon2id (the head's password): call it from a worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto import Argon2Params
from intake.models import Department, DepartmentCategory, Hospital, Office, OfficeKind, Poster
from intake.posters import ensure_posters
from portal import audit
from portal.department_lists import RowError
from portal.keyring import create_office, grant
from portal.models import Officer, Role
from portal.officer_accounts import Credentials, initial_password
from portal.officers import USERNAME, create_officer
from portal.settings import DeploymentSecret

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")


class HospitalRefused(Exception):
    """The hospital cannot be added as given; `errors` says every reason (row 0: the form's fields)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass(frozen=True)
class HospitalForm:
    name: str
    code: str
    hotline: str
    head_username: str
    head_name: str


@dataclass(frozen=True)
class NewHospital:
    hospital_id: int
    name: str
    code: str
    office_name: str
    departments: int
    posters: int
    recovery_code: str
    head: Credentials


def check_form(session: Session, form: HospitalForm) -> list[RowError]:
    """The hospital's own fields: each problem apart (field name in `values["field"]`)."""
    errors = []
    if not form.name:
        errors.append(RowError(0, "请填写医院名称。", {"field": "name"}))
    elif session.scalar(select(Hospital.id).where(Hospital.name == form.name)) is not None:
        errors.append(RowError(0, "已有同名医院“{name}”。", {"field": "name", "name": form.name}))
    if not CODE.match(form.code):
        errors.append(RowError(0, "简称代码须为 2-32 位小写字母、数字或 -，以字母或数字开头（如 city2）。",
                               {"field": "code"}))
    elif session.scalar(select(Hospital.id).where(Hospital.code == form.code)) is not None:
        errors.append(RowError(0, "简称代码“{code}”已被其他医院使用，请换一个。", {"field": "code", "code": form.code}))
    if not USERNAME.match(form.head_username):
        errors.append(RowError(0, "用户名须为 2-63 位小写字母、数字或 . _ -，以字母或数字开头。",
                               {"field": "head_username"}))
    elif session.scalar(select(Officer.id).where(Officer.username == form.head_username)) is not None:
        errors.append(RowError(0, "该用户名已被使用，请换一个。", {"field": "head_username"}))
    if not form.head_name:
        errors.append(RowError(0, "请填写负责人姓名。", {"field": "head_name"}))
    return errors


def add_hospital(session: Session, *, form: HospitalForm, departments: list[tuple[str, DepartmentCategory]],
                 actor_office_id: int, actor_id: int | None, params: Argon2Params,
                 secret: DeploymentSecret) -> NewHospital:
    """Create everything or nothing (the caller's transaction rolls back on HospitalRefused)."""
    errors = check_form(session, form)
    if errors:
        raise HospitalRefused(errors)
    hospital = Hospital(code=form.code, name=form.name)
    session.add(hospital)
    session.flush()
    session.add_all(Department(hospital_id=hospital.id, name=name, category=category)
                    for name, category in departments)
    office = Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id, name=f"{form.name}纪检监察室",
                    hotline=form.hotline)
    key_row, private, recovery_code = create_office(session, office=office)
    session.flush()
    password = initial_password()
    head = create_officer(session, office=office, username=form.head_username, display_name=form.head_name,
                          role=Role.HEAD, password=password, params=params, secret=secret)
    grant(session, office_key=key_row, private_key=private, officer=head.officer, granted_by=None)
    ensure_posters(session, hospital=hospital)
    posters = session.scalar(select(func.count()).select_from(Poster).where(Poster.hospital_id == hospital.id))
    audit.record(session, office_id=office.id, officer_id=None, action="office_created",
                 details={"first_officer": head.officer.username})
    audit.record(session, office_id=actor_office_id, officer_id=actor_id, action="hospital_added",
                 target=form.code, details={"departments": len(departments)})
    return NewHospital(
        hospital_id=hospital.id, name=form.name, code=form.code, office_name=office.name,
        departments=len(departments), posters=int(posters or 0), recovery_code=recovery_code,
        head=Credentials(username=head.officer.username, display_name=head.officer.display_name,
                         password=password, totp_secret=head.totp_secret, keys_granted=1))


@dataclass(frozen=True)
class HospitalRow:
    id: int
    code: str
    name: str
    departments: int
    officers: int
    hotline: str


def list_hospitals(session: Session) -> list[HospitalRow]:
    departments = dict(session.execute(
        select(Department.hospital_id, func.count()).where(Department.retired_at.is_(None))
        .group_by(Department.hospital_id)).all())
    officers = dict(session.execute(
        select(Office.hospital_id, func.count(Officer.id)).join(Officer, Officer.office_id == Office.id)
        .where(Officer.active.is_(True), Office.hospital_id.is_not(None)).group_by(Office.hospital_id)).all())
    rows = session.execute(select(Hospital, Office.hotline).join(Office, Office.hospital_id == Hospital.id)
                           .order_by(Hospital.id)).all()
    return [HospitalRow(id=h.id, code=h.code, name=h.name, departments=int(departments.get(h.id, 0)),
                        officers=int(officers.get(h.id, 0)), hotline=hotline) for h, hotline in rows]
