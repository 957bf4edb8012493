"""The office confirms the envelope arrived, records its handling, and the staff member's certificate verifies."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pypdf
import pytest
from sqlalchemy import select

from crypto import derive_receipt_keys
from intake.handin_follow import certificate_for_follow_up, handin_status_for_follow_up
from intake.handin_models import HandIn, HandInCertificate, HandInState, Handling
from intake.receipts import find_receipt, open_reporter_key, receipt_pepper
from portal import audit
from portal.models import AuditEvent
from tests.handin_helpers import register, staff_poster, today
from tests.helpers import csrf_of


def submission_of(db, number: str) -> str:
    with db.transaction() as session:
        return session.scalar(select(HandIn.submission_id).where(HandIn.registration_number == number))


def confirm(client, submission_id: str, note: str = ""):  # type: ignore[no-untyped-def]
    page = client.get(f"/office/handins/{submission_id}")
    return client.post(f"/office/handins/{submission_id}/confirm",
                       data={"csrf_token": csrf_of(page.text), "note": note}, follow_redirects=False)


def handle(client, submission_id: str, **fields: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/office/handins/{submission_id}")
    data = {"handling": "deposit", "handled_on": today().isoformat(), "handler": "财务科 赵会计",
            "slip_number": "YJ-778899", "note": ""}
    data.update(fields)
    return client.post(f"/office/handins/{submission_id}/handling",
                       data={"csrf_token": csrf_of(page.text), **data}, follow_redirects=False)


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def qr_of(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """Render the PDF as a printer would and read its QR code as a phone would."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm and zbarimg are needed to read the QR code")
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "c")],
                   check=True)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "c.png")], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_confirmation_issues_a_certificate_that_verifies_and_a_changed_byte_does_not(
        client, db, deployment, department, head_client, tmp_path):
    done = register(client, staff_poster(db, department.id), amount="2000")
    submission_id = submission_of(db, done.number)
    assert head_client.get(f"/office/handins/{submission_id}/certificate.pdf").status_code == 404

    assert confirm(head_client, submission_id, note="信封完好，金额相符").status_code == 303
    detail = head_client.get(f"/office/handins/{submission_id}").text
    assert "已确认收到" in detail and "信封完好，金额相符" in detail

    response = head_client.get(f"/office/handins/{submission_id}/certificate.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.content
    text = pdf_text(pdf)
    assert "红包上缴凭证" in text and done.number in text and "人民币 2,000.00 元" in text and "心血管内科" in text
    assert "李明" not in text and "张三" not in text  # nothing personal on the certificate
    fonts = [font for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
             for font in page["/Resources"]["/Font"].values()]
    cjk = [f.get_object() for f in fonts if "WenQuanYiMicroHei" in f.get_object()["/BaseFont"]]
    assert cjk and "/FontFile2" in cjk[0]["/FontDescriptor"].get_object()  # embedded, not a system font

    url = qr_of(pdf, tmp_path)
    path = urlsplit(url)
    assert path.path == f"/verify/{done.number}" and set(dict(p.split("=") for p in [path.query])) == {"sig"}
    genuine = client.get(f"{path.path}?{path.query}")
    assert genuine.status_code == 200 and "真实有效" in genuine.text and "登记于" in genuine.text
    assert "2,000" not in genuine.text and "李明" not in genuine.text and "心血管内科" not in genuine.text

    signature = path.query.removeprefix("sig=")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    other_number = done.number[:-1] + ("2" if done.number[-1] != "2" else "3")
    for forged in (f"{path.path}?sig={flipped}", f"/verify/{other_number}?{path.query}", f"{path.path}?sig=",
                   f"{path.path}?sig=%%%", f"/verify/{done.number}"):
        page = client.get(forged)
        assert page.status_code == 404 and "非真实凭证" in page.text and "真实有效" not in page.text, forged


def test_an_edited_registration_time_in_the_database_no_longer_verifies(client, db, deployment, department,
                                                                         head_client, tmp_path):
    done = register(client, staff_poster(db, department.id))
    submission_id = submission_of(db, done.number)
    confirm(head_client, submission_id)
    url = urlsplit(qr_of(head_client.get(f"/office/handins/{submission_id}/certificate.pdf").content, tmp_path))
    with db.transaction() as session:
        handin = session.get(HandIn, submission_id)
        handin.registered_at = handin.registered_at.replace(second=(handin.registered_at.second + 1) % 60)
    assert "非真实凭证" in client.get(f"{url.path}?{url.query}").text


def test_handling_is_recorded_and_the_certificate_is_issued_anew(client, db, deployment, department, head_client,
                                                                 settings, tmp_path):
    done = register(client, staff_poster(db, department.id), amount="800")
    submission_id = submission_of(db, done.number)
    # Handling before the envelope arrived is refused.
    early = handle(head_client, submission_id)
    assert early.status_code == 409 and "请先确认收到实物" in early.text
    confirm(head_client, submission_id)
    first = urlsplit(qr_of(head_client.get(f"/office/handins/{submission_id}/certificate.pdf").content, tmp_path))

    missing_slip = handle(head_client, submission_id, slip_number="", note="已与家属电话沟通")
    assert missing_slip.status_code == 400 and "请填写预交金单据号" in missing_slip.text
    assert "已与家属电话沟通" in missing_slip.text and "财务科 赵会计" in missing_slip.text
    future = handle(head_client, submission_id, handled_on="2999-01-01")
    assert future.status_code == 400 and "处理日期不能晚于今天" in future.text

    assert handle(head_client, submission_id).status_code == 303
    with db.transaction() as session:
        handin = session.get(HandIn, submission_id)
        assert handin.state is HandInState.HANDLED and handin.handling is Handling.DEPOSIT
        assert b"YJ-778899" not in handin.handling_envelope and "赵会计".encode() not in handin.handling_envelope
        certificates = session.scalars(select(HandInCertificate).where(
            HandInCertificate.submission_id == submission_id)).all()
        assert len(certificates) == 2 and sum(c.superseded_at is None for c in certificates) == 1
    pdf = head_client.get(f"/office/handins/{submission_id}/certificate.pdf").content
    text = pdf_text(pdf)
    assert "冲抵住院预交金" in text and "YJ-778899" in text and "已处理" in text
    # The first certificate is still genuine, and says a newer one exists.
    older = client.get(f"{first.path}?{first.query}").text
    assert "真实有效" in older and "请以最新凭证为准" in older

    # The staff member, with the receipt code alone, opens the newest certificate (the follow-up page's path).
    with db.transaction() as session:
        keys = derive_receipt_keys(done.receipt_code, pepper=receipt_pepper(settings.secret.reveal()),
                                   params=settings.argon2)
        receipt = find_receipt(session, keys)
        status = handin_status_for_follow_up(session, receipt.submission_id)
        certificate = certificate_for_follow_up(session, submission_id=receipt.submission_id,
                                                reporter_key=open_reporter_key(receipt, keys))
    assert status.state == "handled" and status.certificate_available and status.handling == "deposit"
    assert certificate is not None and certificate.filename == f"{done.number}.pdf"
    assert done.number in pdf_text(certificate.pdf) and "冲抵住院预交金" in pdf_text(certificate.pdf)


def test_every_step_is_an_audit_event_and_the_chain_holds(client, db, deployment, department, head_client):
    done = register(client, staff_poster(db, department.id))
    submission_id = submission_of(db, done.number)
    confirm(head_client, submission_id)
    handle(head_client, submission_id, handling="returned", slip_number="")
    head_client.get(f"/office/handins/{submission_id}/certificate.pdf")
    with db.transaction() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target == submission_id)
                                  .order_by(AuditEvent.seq)).all()
        report = audit.verify(session, office_id=deployment.office.id)
    assert {"open_handin", "handin_confirmed", "handin_handled", "handin_certificate_issued",
            "handin_certificate_downloaded"} <= set(actions)
    assert actions.count("handin_certificate_issued") == 2
    assert report.broken_at_seq is None


def test_a_registration_without_confirmation_has_no_certificate_for_the_staff_member(client, db, deployment,
                                                                                       department):
    done = register(client, staff_poster(db, department.id))
    with db.transaction() as session:
        status = handin_status_for_follow_up(session, submission_of(db, done.number))
    assert status.state == "registered" and not status.certificate_available


def test_the_register_lists_pending_then_confirmed(client, db, deployment, department, head_client):
    first = register(client, staff_poster(db, department.id), staff_number="A1")
    second = register(client, staff_poster(db, department.id), staff_number="A2")
    confirm(head_client, submission_of(db, first.number))
    pending = head_client.get("/office/handins").text
    assert second.number in pending and first.number not in pending
    waiting = head_client.get("/office/handins?state=confirmed").text
    assert first.number in waiting and second.number not in waiting
    assert re.search(r"待确认收到 <span class=\"count\">1</span>", pending)


def test_the_staff_member_follows_up_with_the_receipt_code_and_downloads_the_certificate(client, db, deployment,
                                                                                          department, head_client):
    done = register(client, staff_poster(db, department.id))
    submission_id = submission_of(db, done.number)
    # Before the office confirms: the status, and no download.
    follow = client.post("/follow", data={"csrf_token": csrf_of(client.get("/follow").text), "code": done.receipt_code})
    assert follow.status_code == 200 and done.number in follow.text and "待确认收到" in follow.text
    assert "下载上缴凭证（PDF）" not in follow.text
    assert confirm(head_client, submission_id).status_code == 303
    view = client.get("/follow/view")
    assert "已确认收到" in view.text and "下载上缴凭证（PDF）" in view.text
    download = client.post("/follow/certificate", data={"csrf_token": csrf_of(view.text)})
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"]
    assert done.number in pdf_text(download.content)
    # Without the follow-up session (code not entered) there is nothing to download.
    client.post("/follow/end", data={"csrf_token": csrf_of(view.text)})
    assert client.post("/follow/certificate", data={"csrf_token": csrf_of(view.text)},
                       follow_redirects=False).status_code == 303


def test_a_hand_in_waits_in_the_office_inbox_until_it_is_handled(client, db, deployment, department, head_client):
    done = register(client, staff_poster(db, department.id))
    submission_id = submission_of(db, done.number)
    assert f"/office/handins/{submission_id}" in head_client.get("/office/work?kind=handin").text
    confirm(head_client, submission_id)
    assert "已确认收到" in head_client.get("/office/work?kind=handin").text
    handle(head_client, submission_id)
    assert f"/office/handins/{submission_id}" not in head_client.get("/office/work?kind=handin").text
