"""The spine: a payload sealed to the office is stored, and only an officer who holds the key reads it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from crypto import load_private_key, load_public_key, seal, unwrap_with_password
from intake.db import this_hour
from intake.models import Submission, SubmissionKind
from intake.sealing import encode_payload, submission_context
from portal.keyring import current_key, officer_keyring
from portal.models import Officer, Role
from portal.officers import create_officer, give_access, remove_officer
from tests.helpers import PASSWORD

MARKER = "SPINE-CANARY-红包五千元-7f3a9c"


def store_sealed_report(db, deployment, department, text: str) -> str:
    """Seal a report to the office with `crypto`, as the browser does, and store it."""
    with db.transaction() as session:
        key = current_key(session, deployment.office.id)
        ad = submission_context(kind=SubmissionKind.REPORT, hospital_id=deployment.hospital.id,
                                department_id=department.id)
        envelope = seal(load_public_key(key.public_key), encode_payload({"fields": {"经过": text}}),
                        associated_data=ad)
        row = Submission(kind=SubmissionKind.REPORT, office_id=deployment.office.id,
                         hospital_id=deployment.hospital.id, department_id=department.id, envelope=envelope,
                         sealed_in_browser=True, created_hour=this_hour())
        session.add(row)
        session.flush()
        return row.id


def files_written(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_an_officer_reads_what_was_sealed_and_the_disk_never_holds_it(
    db, deployment, department, head_client, database_url, tmp_path
):
    submission_id = store_sealed_report(db, deployment, department, MARKER)

    inbox = head_client.get("/office/")
    assert f"/office/submissions/{submission_id}" in inbox.text
    opened = head_client.get(f"/office/submissions/{submission_id}")
    assert opened.status_code == 200
    assert MARKER in opened.text

    marker_bytes = [MARKER.encode("utf-8"), json.dumps(MARKER).encode("ascii"), MARKER.encode("utf-16-le")]
    if database_url.startswith("sqlite"):
        written = files_written(tmp_path)
        assert any(p.name == "portal.db" for p in written)
        assert any(p.name.endswith("-wal") for p in written)
        for path in written:
            content = path.read_bytes()
            for marker in marker_bytes:
                assert marker not in content, f"plaintext found in {path.name}"
    else:
        with db.transaction() as session:
            envelope = session.scalar(select(Submission.envelope).where(Submission.id == submission_id))
        assert envelope is not None and MARKER.encode() not in envelope


def test_a_granted_officer_reads_and_a_removed_one_cannot(db, deployment, department, settings, officer_actions,
                                                          head_client):
    submission_id = store_sealed_report(db, deployment, department, MARKER)
    # Given the head grants a new officer access with their own keys
    with db.transaction() as session:
        head = session.scalar(select(Officer).where(Officer.username == "head"))
        head_private = load_private_key(unwrap_with_password(head.wrapped_private_key, PASSWORD))
        keyring = officer_keyring(session, officer=head, officer_private=head_private)
        newcomer = create_officer(session, office=deployment.office, username="li", display_name="李干部",
                                  role=Role.OFFICER, password=PASSWORD, params=settings.argon2,
                                  secret=settings.secret)
        assert give_access(session, officer=newcomer.officer, keyring=keyring, granted_by=head) == 1
    officer_actions.logout()
    # When the newcomer logs in, then they read the report
    assert officer_actions.login("li", PASSWORD, newcomer.totp_secret).status_code == 303
    assert MARKER in head_client.get(f"/office/submissions/{submission_id}").text
    # When the head removes them, then their session ends and a new login opens nothing
    with db.transaction() as session:
        li = session.scalar(select(Officer).where(Officer.username == "li"))
        remove_officer(session, officer=li)
    page = head_client.get(f"/office/submissions/{submission_id}", follow_redirects=False)
    assert page.status_code == 303
    assert officer_actions.login("li", PASSWORD, newcomer.totp_secret).status_code == 400


def test_an_administrator_logs_in_but_reads_nothing(db, deployment, department, settings, officer_actions, client):
    submission_id = store_sealed_report(db, deployment, department, MARKER)
    with db.transaction() as session:
        admin = create_officer(session, office=deployment.office, username="it-admin", display_name="信息科",
                               role=Role.ADMIN, password=PASSWORD, params=settings.argon2, secret=settings.secret)
    assert officer_actions.login("it-admin", PASSWORD, admin.totp_secret).status_code == 303
    inbox = client.get("/office/")
    assert submission_id not in inbox.text
    assert client.get(f"/office/submissions/{submission_id}").status_code == 403


def test_an_envelope_moved_to_another_department_does_not_open(db, deployment, department, head_client):
    submission_id = store_sealed_report(db, deployment, department, MARKER)
    with db.transaction() as session:
        row = session.get(Submission, submission_id)
        other = next(d for d in deployment.hospital.departments if d.id != department.id)
        row.department_id = other.id
    response = head_client.get(f"/office/submissions/{submission_id}")
    assert response.status_code == 409
    assert "无法解密" in response.text and MARKER not in response.text
