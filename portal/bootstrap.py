"""Setting up a deployment: the authority, a hospital with its departments, their offices and first officer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import Argon2Params
from intake.models import Department, DepartmentCategory, Hospital, Office, OfficeKind
from intake.posters import ensure_posters
from portal import audit
from portal.keyring import create_office, grant
from portal.models import Role
from portal.officers import NewOfficer, create_officer
from portal.settings import DeploymentSecret

DEMO_DEPARTMENTS: tuple[tuple[str, DepartmentCategory], ...] = (
    ("院办", DepartmentCategory.FUNCTIONAL),
    ("医务科", DepartmentCategory.FUNCTIONAL),
    ("护理部", DepartmentCategory.FUNCTIONAL),
    ("财务科", DepartmentCategory.FUNCTIONAL),
    ("心血管内科", DepartmentCategory.CLINICAL),
    ("普外科", DepartmentCategory.CLINICAL),
    ("骨科", DepartmentCategory.CLINICAL),
    ("妇产科", DepartmentCategory.CLINICAL),
    ("儿科", DepartmentCategory.CLINICAL),
    ("急诊科", DepartmentCategory.CLINICAL),
    ("检验科", DepartmentCategory.MEDICAL_TECHNICAL),
    ("放射科", DepartmentCategory.MEDICAL_TECHNICAL),
    ("药剂科", DepartmentCategory.MEDICAL_TECHNICAL),
)


class AlreadyInitialised(Exception):
    """The database already holds a deployment."""


@dataclass(frozen=True)
class Initialised:
    hospital: Hospital
    office: Office
    authority: Office
    officer: NewOfficer
    hospital_recovery_code: str
    authority_recovery_code: str


def authority_office(session: Session) -> Office | None:
    return session.scalar(select(Office).where(Office.kind == OfficeKind.AUTHORITY))


def initialise(
    session: Session,
    *,
    authority_name: str,
    authority_hotline: str,
    hospital_name: str,
    hospital_code: str,
    hospital_hotline: str,
    departments: tuple[tuple[str, DepartmentCategory], ...],
    username: str,
    display_name: str,
    password: str,
    params: Argon2Params,
    secret: DeploymentSecret,
) -> Initialised:
    """Create the authority's office, one hospital with its office, and that office's first head."""
    if authority_office(session) is not None:
        raise AlreadyInitialised("this database is already set up: use `portal officer add` to add officers")
    authority = Office(kind=OfficeKind.AUTHORITY, name=authority_name, hotline=authority_hotline)
    _, _, authority_code = create_office(session, office=authority)
    hospital = Hospital(code=hospital_code, name=hospital_name)
    session.add(hospital)
    for name, category in departments:
        session.add(Department(hospital=hospital, name=name, category=category))
    session.flush()
    office = Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id, name=f"{hospital_name}纪检监察室",
                    hotline=hospital_hotline)
    key_row, private, hospital_code_recovery = create_office(session, office=office)
    session.flush()
    new = create_officer(session, office=office, username=username, display_name=display_name, role=Role.HEAD,
                         password=password, params=params, secret=secret)
    grant(session, office_key=key_row, private_key=private, officer=new.officer, granted_by=None)
    ensure_posters(session, hospital=hospital)
    audit.record(session, office_id=office.id, officer_id=None, action="office_created",
                 details={"first_officer": new.officer.username})
    audit.record(session, office_id=authority.id, officer_id=None, action="office_created")
    return Initialised(hospital=hospital, office=office, authority=authority, officer=new,
                       hospital_recovery_code=hospital_code_recovery, authority_recovery_code=authority_code)

