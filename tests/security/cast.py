"""The people of the adversarial tests: two reporters, officers of two hospitals, a head, an administrator and an
officer of the higher authority, each with their own browser (cookie jar), and the real records they act on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from starlette.testclient import TestClient

from intake.certificates import encode_signature
from intake.db import this_hour
from intake.handin_models import HandIn, HandInCertificate
from intake.models import Attachment, Audience, Hospital, Office, OfficeKind, Poster, Submission
from intake.posters import ensure_posters
from portal.app import PortalApp
from portal.bootstrap import Initialised
from portal.db import Database
from portal.keyring import create_office, current_key, recovery_keyring
from portal.models import Officer, Role
from portal.officers import create_officer, give_access
from portal.rating_alerts import raise_alert
from portal.settings import Settings
from tests.handin_helpers import register, staff_poster
from tests.helpers import PASSWORD, OfficerActions, csrf_of
from tests.portal.workbench_support import clue_form, store_report
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on, tiny_pdf

BASE_URL = "http://testserver"
PEOPLE = ("anonymous", "reporter_a", "reporter_b", "officer_1", "officer_2", "head_1", "admin", "authority")
MARK_A = "REPORTER-A-ONLY-举报甲"
REPLY_A = "OFFICE-REPLY-TO-A-回复甲"


@dataclass
class Cast:
    """Browsers by person, and the ids that the route table's paths are filled with."""

    clients: dict[str, TestClient]
    values: dict[str, str]
    receipts: dict[str, str] = field(default_factory=dict)
    totp: dict[str, str] = field(default_factory=dict)
    # Where a change can be made only once (handle an alert, void a batch, remove an account, link a report), each
    # person who may make it gets a record of their own, so that the second one's cell is not "already done".
    own: dict[str, dict[str, str]] = field(default_factory=dict)

    def fill(self, path: str, person: str | None = None) -> str:
        values = {**self.values, **self.own.get(person or "", {})}
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def _officer(db: Database, settings: Settings, *, office: Office, username: str, role: Role,
             recovery_code: str | None) -> str:
    """Add an officer as `portal officer add --recovery` does; return the TOTP secret."""
    with db.transaction() as session:
        office = session.merge(office)
        new = create_officer(session, office=office, username=username, display_name=username, role=role,
                             password=PASSWORD, params=settings.argon2, secret=settings.secret)
        if recovery_code is not None:
            keyring = recovery_keyring(session, office=office, code=recovery_code)
            assert give_access(session, officer=new.officer, keyring=keyring, granted_by=None) >= 1
        return new.totp_secret


def second_hospital(db: Database, settings: Settings) -> tuple[Office, str]:
    """Another hospital of the same deployment, with its own office, key, recovery code and posters."""
    with db.transaction() as session:
        hospital = Hospital(code="second", name="示例市第二人民医院")
        session.add(hospital)
        session.flush()
        office = Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id, name="第二人民医院纪检监察室")
        _, _, code = create_office(session, office=office)
        ensure_posters(session, hospital=hospital)
        return office, code


def login(app: PortalApp, db: Database, username: str, totp: str) -> TestClient:
    client = TestClient(app, base_url=BASE_URL)
    response = OfficerActions(client, db).login(username, PASSWORD, totp)
    assert response.status_code == 303, (username, response.status_code)
    return client


def assemble(app: PortalApp, db: Database, settings: Settings, deployment: Initialised) -> Cast:
    """Everyone logged in or holding a receipt, and one of each record: a report with a file, a hand-in."""
    office_2, code_2 = second_hospital(db, settings)
    totp = {
        "head_1": deployment.officer.totp_secret,
        "officer_1": _officer(db, settings, office=deployment.office, username="officer1", role=Role.OFFICER,
                              recovery_code=deployment.hospital_recovery_code),
        "officer_2": _officer(db, settings, office=office_2, username="officer2", role=Role.OFFICER,
                              recovery_code=code_2),
        "admin": _officer(db, settings, office=deployment.office, username="admin1", role=Role.ADMIN,
                          recovery_code=None),
        "authority": _officer(db, settings, office=deployment.authority, username="authority1", role=Role.OFFICER,
                              recovery_code=deployment.authority_recovery_code),
    }
    usernames = {"head_1": "head", "officer_1": "officer1", "officer_2": "officer2", "admin": "admin1",
                 "authority": "authority1"}
    clients = {person: login(app, db, usernames[person], secret) for person, secret in totp.items()}
    clients["anonymous"] = TestClient(app, base_url=BASE_URL)

    code = poster_code(db)
    receipts = {}
    for person, marker in (("reporter_a", MARK_A), ("reporter_b", "REPORTER-B")):
        browser = TestClient(app, base_url=BASE_URL)
        reporter = Reporter(browser)
        fields = {**FULL_REPORT, "what": marker, "real_name": f"{marker}-姓名", "contact": "13800000000"}
        page = reporter.file(code, fields, files=[("evidence.pdf", tiny_pdf(marker), "application/pdf")])
        assert page.status_code == 200, page.text
        receipts[person] = receipt_on(page.text)
        assert reporter.follow(receipts[person]).status_code == 303
        clients[person] = browser

    with db.transaction() as session:
        hospital_1 = deployment.hospital.id
        reports = session.scalars(select(Submission).where(Submission.hospital_id == hospital_1,
                                                           Submission.kind == "report")).all()
    head = clients["head_1"]
    report_a = None
    for report in reports:
        if MARK_A in head.get(f"/office/submissions/{report.id}").text:
            report_a = report.id
    assert report_a is not None
    page = head.get(f"/office/submissions/{report_a}")
    replied = head.post(f"/office/submissions/{report_a}/reply",
                        data={"csrf_token": csrf_of(page.text), "text": REPLY_A}, follow_redirects=False)
    assert replied.status_code == 303
    with db.transaction() as session:
        attachment = session.scalar(select(Attachment.id).where(Attachment.submission_id == report_a))
        patient_code_2 = session.scalar(select(Poster.code).where(Poster.hospital_id != hospital_1,
                                                                  Poster.audience == Audience.PATIENT))
    with db.transaction() as session:
        department_id = session.scalar(select(Poster.department_id).where(Poster.hospital_id == hospital_1,
                                                                          Poster.department_id.is_not(None)))
    staff_code = staff_poster(db, department_id)
    registration = register(clients["anonymous"], staff_code)
    with db.transaction() as session:
        handin = session.scalar(select(HandIn).where(HandIn.registration_number == registration.number))
        assert handin is not None
        handin_id = handin.submission_id
    detail = head.get(f"/office/handins/{handin_id}")
    assert head.post(f"/office/handins/{handin_id}/confirm",
                     data={"csrf_token": csrf_of(detail.text)}, follow_redirects=False).status_code == 303
    with db.transaction() as session:
        signature = session.scalar(select(HandInCertificate.signature)
                                   .where(HandInCertificate.submission_id == handin_id))
    assert signature is not None
    values = {"code": code, "staff_code": staff_code, "code_2": patient_code_2 or "", "submission_id": report_a,
              "attachment_id": attachment or "", "handin_id": handin_id, "number": registration.number,
              "sig": encode_signature(signature)}
    values |= workbench_records(db, settings, deployment, head, report_a=report_a, department_id=department_id)
    own = {person: {"link_report": store_report(db, deployment, _Department(department_id), f"并入线索-{person}"),
                    "alert_id": _alert(db, deployment),
                    "batch_id": _batch(head),
                    "leaver_id": _account(db, settings, deployment.office, f"leaver-{person}", Role.OFFICER, None)}
           for person in ("officer_1", "head_1", "admin")}
    return Cast(clients=clients, values=values, receipts=receipts, totp=totp, own=own)


@dataclass(frozen=True)
class _Department:
    id: int | None


def _clue(head: TestClient, form: dict[str, str]) -> str:
    page = head.get("/office/clues/new")
    created = head.post("/office/clues/new", data={"csrf_token": csrf_of(page.text), **form}, follow_redirects=False)
    assert created.status_code == 303, created.text
    return created.headers["location"].split("/")[-1].split("?")[0]


def _batch(head: TestClient) -> str:
    """A batch of rating codes issued on the codes page, as an officer does."""
    page = head.get("/office/ratings/codes")
    issued = head.post("/office/ratings/codes", data={"csrf_token": csrf_of(page.text), "label": "门诊收费处",
                                                      "size": "3", "department": ""}, follow_redirects=False)
    assert issued.status_code == 303, issued.text
    return issued.headers["location"].split("/")[-2]


def _alert(db: Database, deployment: Initialised) -> str:
    """A rating alert of hospital 1 (a red envelope was asked for), raised as the rollup raises it."""
    with db.transaction() as session:
        return raise_alert(session, office_key=current_key(session, deployment.office.id),
                           hospital_id=deployment.hospital.id, department_id=None, created_hour=this_hour(),
                           submission_id=None, answers={"red_envelope": "yes"}, comment="评价线索").id


def _account(db: Database, settings: Settings, office: Office, username: str, role: Role,
             recovery_code: str | None) -> str:
    _officer(db, settings, office=office, username=username, role=role, recovery_code=recovery_code)
    with db.transaction() as session:
        return str(session.scalar(select(Officer.id).where(Officer.username == username)))


def workbench_records(db: Database, settings: Settings, deployment: Initialised, head: TestClient, *,
                      report_a: str, department_id: int | None) -> dict[str, str]:
    """Hospital 1's clue (made from reporter A's report), a clue to pass up, an alert, a batch of rating codes,
    accounts to grant and reset; and the authority's office id, hospital 1's recovery code."""
    return {
        "clue_id": _clue(head, clue_form(submission_id=report_a)),
        "transfer_clue_id": _clue(head, clue_form(summary="待上报的线索")),
        "link_report": store_report(db, deployment, _Department(department_id), "并入线索"),
        "alert_id": _alert(db, deployment),
        "batch_id": _batch(head),
        # Made by an administrator: an account without the office keys, for the head to grant.
        "grantee_id": _account(db, settings, deployment.office, "grantee", Role.OFFICER, None),
        "reset_id": _account(db, settings, deployment.office, "forgetful", Role.OFFICER,
                             deployment.hospital_recovery_code),
        "leaver_id": _account(db, settings, deployment.office, "leaver", Role.OFFICER, None),
        "authority_office_id": str(deployment.authority.id),
        "recovery_code": deployment.hospital_recovery_code,
    }
