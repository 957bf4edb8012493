"""Helpers for the workbench tests: sealed reports as the intake stores them, clue forms, a second hospital."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from starlette.testclient import TestClient

from crypto import load_private_key, load_public_key, seal, unwrap_with_password
from intake.db import this_hour
from intake.models import Department, DepartmentCategory, Hospital, Office, OfficeKind, Submission, SubmissionKind
from intake.sealing import encode_payload, identity_context, submission_context
from portal.keyring import create_office, current_key, grant, officer_keyring
from portal.models import Officer, Role
from portal.officers import NewOfficer, create_officer, give_access
from tests.helpers import PASSWORD, csrf_of


def store_report(db, deployment, department, text: str, *, real_name: bool = False,  # type: ignore[no-untyped-def]
                 received: datetime | None = None, office_id: int | None = None,
                 hospital_id: int | None = None) -> str:
    """Seal a report (and, when real-name, its identity apart) to the office and store it."""
    hospital_id = hospital_id or deployment.hospital.id
    with db.transaction() as session:
        key = load_public_key(current_key(session, office_id or deployment.office.id).public_key)
        where = {"kind": SubmissionKind.REPORT, "hospital_id": hospital_id, "department_id": department.id}
        row = Submission(
            kind=SubmissionKind.REPORT, office_id=office_id or deployment.office.id, hospital_id=hospital_id,
            department_id=department.id, sealed_in_browser=True, created_hour=received or this_hour(),
            envelope=seal(key, encode_payload({"fields": {"经过": text}}), associated_data=submission_context(**where)),
            identity_envelope=seal(key, encode_payload({"姓名": "实名举报人"}),
                                   associated_data=identity_context(**where)) if real_name else None,
        )
        session.add(row)
        session.flush()
        return row.id


def days_ago(days: int) -> datetime:
    return this_hour() - timedelta(days=days)


def clue_form(**overrides: str) -> dict[str, str]:
    form = {"source": "petition", "channel": "online", "category": "red_envelope", "department_id": "",
            "received_on": "2025-03-05", "status": "pending", "disposition": "", "further_step": "none",
            "transfer_to": "", "handling_mode": "self", "outcome_form": "", "rules_improved": "0", "closed_on": "",
            "assignee_id": "", "person": "张某某", "position": "主治医师", "person_rank": "other",
            "summary": "患者家属反映收受红包两千元", "result": "", "notes": ""}
    form.update(overrides)
    return form


def post(client: TestClient, url: str, data: dict[str, str | list[str]]):  # type: ignore[no-untyped-def]
    """Submit a form the way the browser does: with the CSRF token a page gave."""
    token = csrf_of(client.get("/office/password").text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def head_keyring(session, username: str = "head"):  # type: ignore[no-untyped-def]
    head = session.scalar(select(Officer).where(Officer.username == username))
    private = load_private_key(unwrap_with_password(head.wrapped_private_key, PASSWORD))
    return head, officer_keyring(session, officer=head, officer_private=private)


def add_officer(db, settings, deployment, username: str, *, role: Role = Role.OFFICER,  # type: ignore[no-untyped-def]
                with_keys: bool = True) -> NewOfficer:
    with db.transaction() as session:
        new = create_officer(session, office=deployment.office, username=username, display_name=f"{username}干部",
                             role=role, password=PASSWORD, params=settings.argon2, secret=settings.secret)
        if with_keys:
            head, keyring = head_keyring(session)
            give_access(session, officer=new.officer, keyring=keyring, granted_by=head)
        return new


@dataclass(frozen=True)
class OtherHospital:
    office: Office
    department: Department
    head: NewOfficer


def second_hospital(db, settings) -> OtherHospital:  # type: ignore[no-untyped-def]
    """Another hospital with its own office and head, in the same deployment."""
    with db.transaction() as session:
        hospital = Hospital(code="other", name="示例市第二人民医院")
        session.add(hospital)
        session.flush()
        department = Department(hospital_id=hospital.id, name="骨科", category=DepartmentCategory.CLINICAL)
        session.add(department)
        office = Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id, name="第二医院纪检监察室")
        key_row, private, _ = create_office(session, office=office)
        session.flush()
        head = create_officer(session, office=office, username="head2", display_name="赵主任", role=Role.HEAD,
                              password=PASSWORD, params=settings.argon2, secret=settings.secret)
        grant(session, office_key=key_row, private_key=private, officer=head.officer, granted_by=None)
        return OtherHospital(office=office, department=department, head=head)
