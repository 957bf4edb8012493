"""Hostile input that reaches the office: file names, hand-made browser envelopes, SQL injection strings.

Given a reporter (or anyone who can read the office's public key) sending what no honest browser sends,
then the office still sees a page (never a 500), files come down as downloads under names the server chose,
and nothing a reporter typed reaches SQL as code.
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
from sqlalchemy import func, select

from crypto import ChunkSealer, load_public_key, new_file_key, seal
from intake.attachments import attachment_context
from intake.db import Base
from intake.models import Submission, SubmissionKind
from intake.sealing import submission_context
from portal.keyring import current_key
from portal.models import AuditEvent
from tests.helpers import csrf_of
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on, tiny_pdf

HOSTILE_NAMES = [
    "../../../../etc/passwd.pdf",
    "..\\..\\windows\\system32\\evil.pdf",
    "report\x00.html.pdf",
    "invoice\u202efdp.exe.pdf",  # RTL override: shows as "invoiceexe.pdf" reversed
    "<script>alert(1)</script>.pdf",
    "a" * 4096 + ".pdf",
    "\r\nContent-Type: text/html\r\n\r\n<h1>x.pdf",
    "CON.pdf",
]
# What a name must not bring to the office page or a download header.
TRACES = ["passwd", "system32", "\u202e", "<script>", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Content-Type: text/html",
          "CON.pdf", "report\x00"]


def submission_ids(client) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r"/office/submissions/([0-9a-f]{32})\"", client.get("/office/").text)


def test_hostile_file_names_are_replaced_by_server_made_names(client, db, deployment, head_client):
    files = [(name, tiny_pdf(f"file {n}"), "application/pdf") for n, name in enumerate(HOSTILE_NAMES[:6])]
    reporter = Reporter(client)
    first = reporter.file(poster_code(db), FULL_REPORT, files=files)
    assert first.status_code == 200, first.text
    second = Reporter(client).file(poster_code(db), FULL_REPORT,
                                   files=[(name, tiny_pdf("x"), "application/pdf") for name in HOSTILE_NAMES[6:]])
    assert second.status_code == 200
    for submission_id in submission_ids(head_client):
        page = head_client.get(f"/office/submissions/{submission_id}").text
        for trace in TRACES:
            assert trace not in page
        links = re.findall(rf'href="(/office/submissions/{submission_id}/files/[0-9a-f]{{32}})">([^<]+)<', page)
        assert links
        for number, (link, shown) in enumerate(links, start=1):
            assert shown == f"附件{number}.pdf"
            download = head_client.get(link)
            disposition = download.headers["content-disposition"]
            assert disposition.startswith("attachment;")
            assert f"filename*=UTF-8''%E9%99%84%E4%BB%B6{number}.pdf" in disposition
            assert not any(trace in disposition for trace in TRACES)
            assert download.headers["content-type"] == "application/pdf"
            assert download.headers["x-content-type-options"] == "nosniff"


def test_files_that_are_not_photos_or_pdfs_are_refused_and_polyglots_come_down_as_downloads(client, db, deployment,
                                                                                          head_client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    html = b"<!doctype html><script>alert(1)</script>"
    refused = Reporter(client).file(poster_code(db), FULL_REPORT,
                                    files=[("x.svg", svg, "image/svg+xml"), ("x.html", html, "text/html")])
    assert refused.status_code == 400 and "只能上传照片" in refused.text
    polyglot = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF"
    accepted = Reporter(client).file(poster_code(db), FULL_REPORT, files=[("x.html", polyglot, "text/html")])
    assert accepted.status_code == 200
    (submission_id,) = submission_ids(head_client)
    page = head_client.get(f"/office/submissions/{submission_id}").text
    (link,) = re.findall(rf'href="(/office/submissions/{submission_id}/files/[0-9a-f]{{32}})"', page)
    download = head_client.get(link)
    assert download.content == polyglot
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "script-src 'self'" in download.headers["content-security-policy"]


def _sealed_report(client, db, deployment, department_id, payload: bytes,  # type: ignore[no-untyped-def]
                   files: list[tuple[str, bytes]] = ()):  # type: ignore[assignment]
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    with db.transaction() as session:
        office_public = current_key(session, deployment.office.id).public_key
    where = {"kind": SubmissionKind.REPORT, "hospital_id": deployment.hospital.id, "department_id": department_id}
    envelope = seal(load_public_key(office_public), payload, associated_data=submission_context(**where))
    parts = [("sealed_file", (aid, data, "application/octet-stream")) for aid, data in files]
    parts.append(("envelope", ("envelope", envelope, "application/octet-stream")))
    return client.post(f"/report/{code}", data={"csrf_token": token}, files=parts)


def _sealed_file(content: bytes) -> tuple[str, str, bytes]:
    attachment_id = uuid.uuid4().hex
    key = new_file_key()
    sealer = ChunkSealer(key, associated_data=attachment_context(attachment_id))
    body = sealer.header + b"".join([*sealer.update(content), sealer.finalize()])
    return attachment_id, base64.b64encode(key).decode(), body


@pytest.mark.parametrize("payload", [
    b"not json at all",
    b"\xff\xfe\x00 invalid utf-8",
    b"[1, 2, 3]",
    json.dumps({"v": 1, "fields": ["a", "b"], "attachments": "nope"}).encode(),
    json.dumps({"v": 1, "fields": {"what": {"nested": ["<script>alert(1)</script>"]}, "who": 12,
                                   "<img src=x onerror=alert(1)>": "key as a field name"},
                "attachments": [{"id": 5, "key": None}, "string", {"id": "x" * 32, "key": "!!", "size": "big"}]}
               ).encode(),
])
def test_a_hand_made_envelope_never_breaks_the_office_page(client, db, deployment, department, head_client, payload):
    assert _sealed_report(client, db, deployment, department.id, payload).status_code == 200
    (submission_id,) = submission_ids(head_client)
    page = head_client.get(f"/office/submissions/{submission_id}")
    assert page.status_code in (200, 409), page.status_code
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text
    if page.status_code == 409:
        with db.transaction() as session:
            assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == \
                "decryption_failed"


def test_a_hand_made_attachment_description_cannot_make_a_download_inline(client, db, deployment, department,
                                                                          head_client):
    html = b"<!doctype html><script>alert(document.cookie)</script>"
    attachment_id, key, body = _sealed_file(html)
    payload = {"v": 1, "fields": {**FULL_REPORT},
               "attachments": [{"id": attachment_id, "key": key, "size": "not a number", "type": "text/html",
                                "name": "../../evil.html\r\nX-Injected: 1"}]}
    response = _sealed_report(client, db, deployment, department.id, json.dumps(payload).encode(),
                              files=[(attachment_id, body)])
    assert response.status_code == 200, response.text
    assert receipt_on(response.text)
    (submission_id,) = submission_ids(head_client)
    page = head_client.get(f"/office/submissions/{submission_id}")
    assert page.status_code == 200
    download = head_client.get(f"/office/submissions/{submission_id}/files/{attachment_id}")
    assert download.status_code == 200 and download.content == html
    assert download.headers["content-type"] == "application/octet-stream"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "x-injected" not in download.headers
    assert "/" not in disposition.split("filename*=UTF-8''", 1)[1]  # the name cannot climb out of a folder


SQL_STRINGS = [
    "' OR '1'='1", "1; DROP TABLE submissions; --", "\" OR 1=1 --", "' UNION SELECT lookup, 1 FROM receipts --",
    "1' AND SLEEP(5)#", "'; SELECT pg_sleep(5); --", "%' OR 1=1 --", "1) OR (1=1", "admin'--", "\\'; --",
]
ERROR_TRACES = ("sqlite", "syntax error", "psycopg", "sqlalchemy", "traceback", "operationalerror", "unterminated")


def test_sql_injection_strings_in_every_parameter(client, db, deployment, head_client):
    from tests.security.test_authorization_matrix import MATRIX

    def counts() -> dict[str, int]:
        with db.transaction() as session:
            return {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
                    for t in Base.metadata.sorted_tables if t.name not in {"audit_events", "throttles"}}

    before = counts()
    cases = 0
    anonymous = Reporter(client).client
    for (method, _route), (path, _body, fields, _expected) in MATRIX.items():
        if path in ("/office/logout", "/follow/end"):
            continue
        for injected in SQL_STRINGS:
            url = re.sub(r"\{\w+\}", lambda _m, v=injected: v.replace("/", "%2F").replace("#", "%23")
                         .replace("?", "%3F").replace("%'", "%25'"), path.split("?")[0])
            who = head_client if url.startswith("/office") else anonymous
            if method == "GET":
                response = who.get(url, params={"sig": injected, "start": injected, "end": injected,
                                                "department": injected, "hospital": injected},
                                   follow_redirects=False)
            else:
                page = who.get("/follow") if who is anonymous else who.get("/office/")
                token = csrf_of(page.text) if 'name="csrf_token"' in page.text else ""
                data = {"csrf_token": token, **{name: injected for name in (*fields, "code", "what", "category",
                                                                            "username", "text", "status")}}
                response = who.post(url, data=data, follow_redirects=False)
            cases += 1
            assert response.status_code < 500, (method, url, response.status_code)
            lowered = response.text.lower()
            assert not any(trace in lowered for trace in ERROR_TRACES), (method, url)
    assert cases >= 300
    after = counts()
    # Only what a visitor may create was created (reports and hand-ins carry their rows); nothing was dropped.
    assert set(after) == set(before)
    assert all(after[name] >= before[name] for name in before)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == after["submissions"]
