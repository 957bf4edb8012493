"""Helpers for the region tests: authority officers (keys granted with the authority's recovery code), a second
hospital added the way the administrator adds one, and logging in as any of them."""

from __future__ import annotations

from starlette.testclient import TestClient

from intake.models import DepartmentCategory
from portal.bootstrap import Initialised
from portal.hospitals import HospitalForm, NewHospital, add_hospital
from portal.keyring import recovery_keyring
from portal.models import Role
from portal.officers import NewOfficer, create_officer, give_access
from tests.helpers import PASSWORD, OfficerActions


def authority_officer(db, settings, deployment: Initialised, username: str,  # type: ignore[no-untyped-def]
                      role: Role = Role.HEAD) -> NewOfficer:
    with db.transaction() as session:
        new = create_officer(session, office=deployment.authority, username=username, display_name=f"{username}组长",
                             role=role, password=PASSWORD, params=settings.argon2, secret=settings.secret)
        if role is not Role.ADMIN:
            keyring = recovery_keyring(session, office=deployment.authority, code=deployment.authority_recovery_code)
            give_access(session, officer=new.officer, keyring=keyring, granted_by=None)
        return new


def add_second_hospital(db, settings, deployment: Initialised, *, code: str = "city2",  # type: ignore[no-untyped-def]
                        head: str = "zhao") -> NewHospital:
    with db.transaction() as session:
        return add_hospital(session, form=HospitalForm(name=f"示例市{code}医院", code=code, hotline="",
                                                       head_username=head, head_name="赵主任"),
                            departments=[("骨科", DepartmentCategory.CLINICAL),
                                         ("院办", DepartmentCategory.FUNCTIONAL)],
                            actor_office_id=deployment.authority.id, actor_id=None, params=settings.argon2,
                            secret=settings.secret)


def login(app, db, username: str, totp_secret: str,  # type: ignore[no-untyped-def]
          password: str = PASSWORD) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    response = OfficerActions(client, db).login(username, password, totp_secret)
    assert response.status_code == 303, response.text
    return client
