"""What report.js sends (envelopes and sealed chunks only) is stored as it came and routed by its key."""

from __future__ import annotations

import base64
import json
import uuid

from sqlalchemy import select

from crypto import ChunkSealer, generate_private_key, load_public_key, new_file_key, public_key_bytes, seal
from intake.attachments import attachment_context
from intake.models import Attachment, Submission, SubmissionKind
from intake.sealing import identity_context, submission_context
from portal.keyring import current_key
from tests.helpers import csrf_of
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on

SECRET_TEXT = "药剂科主任按处方量拿回扣"


def browser_body(token: str, *, office_public: bytes, hospital_id: int, department_id: int,
                 file_bytes: bytes) -> list[tuple[str, tuple[str, bytes, str]]] | dict:
    """Seal like report.js: a file in chunks, the payload with its key, the identity apart."""
    attachment_id = uuid.uuid4().hex
    key = new_file_key()
    sealer = ChunkSealer(key, associated_data=attachment_context(attachment_id))
    chunks = [*sealer.update(file_bytes), sealer.finalize()]
    payload = {"v": 1, "fields": {**FULL_REPORT, "what": SECRET_TEXT},
               "attachments": [{"id": attachment_id, "name": "附件1.pdf", "type": "application/pdf",
                                "size": len(file_bytes), "key": base64.b64encode(key).decode()}]}
    where = {"kind": SubmissionKind.REPORT, "hospital_id": hospital_id, "department_id": department_id}
    recipient = load_public_key(office_public)
    envelope = seal(recipient, json.dumps(payload).encode(), associated_data=submission_context(**where))
    identity = seal(recipient, json.dumps({"v": 1, "real_name": "周五"}).encode(),
                    associated_data=identity_context(**where))
    return [("sealed_file", (attachment_id, sealer.header + b"".join(chunks), "application/octet-stream")),
            ("envelope", ("envelope", envelope, "application/octet-stream")),
            ("identity", ("identity", identity, "application/octet-stream"))]


def test_a_browser_sealed_report_is_stored_as_it_came_and_opens_at_the_office(client, db, deployment, department,
                                                                              head_client):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    with db.transaction() as session:
        office_public = current_key(session, deployment.office.id).public_key
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 700  # several 64 KiB chunks
    files = browser_body(token, office_public=office_public, hospital_id=deployment.hospital.id,
                         department_id=department.id, file_bytes=pdf)
    page = client.post(f"/report/{code}", data={"csrf_token": token, "department": ""}, files=files)
    assert page.status_code == 200 and receipt_on(page.text)
    assert "在本机浏览器中加密" in page.text
    with db.transaction() as session:
        stored = session.scalars(select(Submission)).one()
        attachment = session.scalars(select(Attachment)).one()
    assert stored.sealed_in_browser and stored.envelope == files[1][1][1]
    assert attachment.sealed_size == len(files[0][1][1])
    opened = head_client.get(f"/office/submissions/{stored.id}")
    assert SECRET_TEXT in opened.text
    link = f"/office/submissions/{stored.id}/files/{attachment.id}"
    assert head_client.get(link).content == pdf


def test_an_envelope_sealed_to_a_stranger_key_is_refused(client, db, deployment, department):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    stranger = public_key_bytes(generate_private_key().public_key())
    files = browser_body(token, office_public=stranger, hospital_id=deployment.hospital.id,
                         department_id=department.id, file_bytes=b"%PDF-1.4 small")
    assert client.post(f"/report/{code}", data={"csrf_token": token}, files=files).status_code == 400
    with db.transaction() as session:
        assert session.scalars(select(Submission)).first() is None


def test_a_sealed_file_cut_short_is_refused(client, db, deployment, department):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    with db.transaction() as session:
        office_public = current_key(session, deployment.office.id).public_key
    files = browser_body(token, office_public=office_public, hospital_id=deployment.hospital.id,
                         department_id=department.id, file_bytes=b"%PDF" + b"1" * 70000)
    name, (attachment_id, sealed, mime) = files[0]
    files[0] = (name, (attachment_id, sealed[:12], mime))  # the header and nothing after it
    assert client.post(f"/report/{code}", data={"csrf_token": token}, files=files).status_code == 400
    with db.transaction() as session:
        assert session.scalars(select(Submission)).first() is None
