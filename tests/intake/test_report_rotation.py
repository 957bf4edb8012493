"""A worker remembers where a hospital's reports go; a rotation of the office key in another process must never
send a report to the retired key, nor turn away one sealed to the new key, nor draw a second receipt."""

from __future__ import annotations

from sqlalchemy import func, select

from crypto import envelope_key_id, open_envelope, public_key_bytes
from intake.models import Receipt, Submission
from intake.sealing import submission_context
from portal.keyring import current_key
from portal.rotation import rotate_office_key
from tests.helpers import csrf_of
from tests.intake.test_sealed_upload import SECRET_TEXT, browser_body
from tests.rating_helpers import head_keyring
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on


def rotate(db, deployment):  # type: ignore[no-untyped-def]
    """As `portal office rotate-key` does it, from another process: this worker's memory is not told."""
    keyring = head_keyring(db)
    with db.transaction() as session:
        office = session.merge(deployment.office)
        return rotate_office_key(session, office=office, keyring=keyring, by=None)


def submissions(db) -> list[Submission]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return list(session.scalars(select(Submission)))


def test_a_plain_report_after_a_rotation_is_sealed_to_the_new_key_with_its_one_receipt(client, db, deployment):  # type: ignore[no-untyped-def]
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)  # the worker now remembers the office's key
    rotated = rotate(db, deployment)
    page = client.post(f"/report/{code}", data={"csrf_token": token, **FULL_REPORT},
                       files=[("files", ("", b"", "application/octet-stream"))])
    assert page.status_code == 200 and receipt_on(page.text)
    [stored] = submissions(db)
    assert envelope_key_id(stored.envelope) == rotated.key_id
    opened = open_envelope(head_keyring(db).keys[rotated.key_id], stored.envelope, associated_data=submission_context(
        kind=stored.kind, hospital_id=stored.hospital_id, department_id=stored.department_id))
    assert FULL_REPORT["what"].encode() in opened
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert Reporter(client).follow(receipt_on(page.text)).status_code == 303  # the receipt shown is the stored one


def test_an_envelope_sealed_to_the_new_key_is_taken_by_a_worker_that_remembered_the_old(  # type: ignore[no-untyped-def]
        client, db, deployment, department):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    rotated = rotate(db, deployment)  # the browser got the new key from another worker's form
    files = browser_body(token, office_public=public_key_bytes(head_keyring(db).keys[rotated.key_id].public_key()),
                         hospital_id=deployment.hospital.id, department_id=department.id, file_bytes=b"%PDF-1.4 x")
    page = client.post(f"/report/{code}", data={"csrf_token": token}, files=files)
    assert page.status_code == 200 and receipt_on(page.text)
    [stored] = submissions(db)
    assert envelope_key_id(stored.envelope) == rotated.key_id
    assert SECRET_TEXT.encode() not in stored.envelope


def test_an_envelope_sealed_to_the_retired_key_is_refused_and_nothing_is_kept(  # type: ignore[no-untyped-def]
        client, db, deployment, department):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    with db.read() as session:
        old_public = current_key(session, deployment.office.id).public_key
    rotate(db, deployment)  # after the page was shown: the browser sealed to a key retired meanwhile
    files = browser_body(token, office_public=old_public, hospital_id=deployment.hospital.id,
                         department_id=department.id, file_bytes=b"%PDF-1.4 x")
    assert client.post(f"/report/{code}", data={"csrf_token": token}, files=files).status_code == 400
    assert submissions(db) == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == 0
