"""A patient reports from a phone, with and without JavaScript, keeps the receipt and follows up."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select

from intake.models import Attachment, Submission
from tests.reporting import authority_officer, photo_with_gps, poster_code, tiny_pdf

pytestmark = pytest.mark.browser

MARK = "QX7-CANARY"
FIELDS = {"what": f"{MARK}-经过：医生收了两千元红包", "who": f"{MARK}-张医生", "role": f"{MARK}-主任",
          "when": f"{MARK}-五月", "where": f"{MARK}-办公室", "amount": f"{MARK}-两千元",
          "real_name": f"{MARK}-李四", "contact": f"{MARK}-13800000000"}


def fill_report(page, *, escalate: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.check("input[name=category][value=red_envelope]")
    for name, value in FIELDS.items():
        page.fill(f"[name={name}]", value)
    page.set_input_files("#files", files=[
        {"name": "IMG_20240512_103455.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps(MARK)},
        {"name": "病历.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf(MARK)},
    ])
    if escalate:
        page.check("input[name=escalate]")


def plaintext_forms() -> list[bytes]:
    return [MARK.encode(), json.dumps(MARK).encode(), MARK.encode("utf-16-le")]


def stored(db) -> Submission:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return session.scalars(select(Submission)).one()


def office_photo_has_no_metadata(head_client, submission: Submission) -> None:  # type: ignore[no-untyped-def]
    page = head_client.get(f"/office/submissions/{submission.id}")
    assert FIELDS["what"] in page.text and FIELDS["real_name"] not in page.text
    links = dict((name, href) for href, name in
                 re.findall(rf'href="(/office/submissions/{submission.id}/files/[0-9a-f]+)">([^<]+)<', page.text))
    assert set(links) == {"附件1.jpg", "附件2.pdf"}
    photo = head_client.get(links["附件1.jpg"]).content
    image = Image.open(io.BytesIO(photo))
    assert image.size == (64, 48) and not image.getexif() and MARK.encode() not in photo
    assert head_client.get(links["附件2.pdf"]).content == tiny_pdf(MARK)


def test_a_report_with_javascript_is_sealed_before_it_leaves_the_phone(live_server, phone, db, deployment,
                                                                        head_client, screenshot):
    posted: list[bytes] = []
    phone.on("request", lambda request: posted.append(request.post_data_buffer or b"")
             if request.method == "POST" else None)
    phone.goto(f"{live_server}/q/{poster_code(db)}/report")
    phone.wait_for_selector("#seal-mode:has-text('在您的手机上加密')")
    screenshot(phone, "report-form-js")
    # Nothing chosen: the page says what is missing, next to the field, and sends nothing.
    phone.click("#submit-report")
    assert phone.inner_text("#field-category .field-error") == "请选择举报类别。"
    assert phone.inner_text("#field-what .field-error") == "请写下发生了什么。"
    screenshot(phone, "report-form-js-errors")
    assert posted == []

    fill_report(phone)
    phone.click("#submit-report")
    phone.wait_for_selector("#receipt-code")
    screenshot(phone, "report-receipt-js")
    assert len(posted) == 1
    for form in plaintext_forms():
        assert form not in posted[0], "the request body carried plaintext of the report"
    code = phone.inner_text("#receipt-code")
    digits = re.sub(r"\D", "", code)
    assert len(digits) == 20
    assert digits not in phone.url and "/q/" in phone.url
    assert phone.evaluate("localStorage.length + sessionStorage.length") == 0
    assert "在本机浏览器中加密" in phone.inner_text("main")

    # The receipt can be saved as an image.
    with phone.expect_download() as download:
        phone.click("#save-receipt")
    assert download.value.suggested_filename == "查询码.png"
    with open(download.value.path(), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    phone.wait_for_selector("#receipt-image")
    screenshot(phone, "report-receipt-saved")

    submission = stored(db)
    assert submission.sealed_in_browser and submission.office_id == deployment.office.id
    office_photo_has_no_metadata(head_client, submission)


def test_a_report_without_javascript_is_sealed_on_arrival(live_server, phone_without_js, db, deployment,
                                                          head_client, screenshot):
    page = phone_without_js
    page.goto(f"{live_server}/q/{poster_code(db)}/report")
    assert "未启用脚本" in page.inner_text("#seal-mode")
    page.click("#submit-report")
    assert page.inner_text("#error-category") == "请选择举报类别。"
    screenshot(page, "report-form-nojs-errors")
    fill_report(page)
    page.click("#submit-report")
    page.wait_for_selector("#receipt-code")
    screenshot(page, "report-receipt-nojs")
    assert "服务器收到后立即加密" in page.inner_text("main")
    assert page.is_hidden("#save-receipt") and "截屏" in page.inner_text("main")
    submission = stored(db)
    assert not submission.sealed_in_browser
    office_photo_has_no_metadata(head_client, submission)


def test_an_escalated_report_is_sealed_to_the_authority_and_invisible_to_the_hospital(
        live_server, phone, desktop, db, deployment, settings, head_client, screenshot):
    phone.goto(f"{live_server}/q/{poster_code(db, department_name=None)}/report")
    phone.wait_for_selector("#seal-mode:has-text('在您的手机上加密')")
    fill_report(phone, escalate=True)
    phone.select_option("#department", label="院办")
    phone.click("#submit-report")
    phone.wait_for_selector("#receipt-code")
    assert "本院纪检部门看不到它" in phone.inner_text("main")
    screenshot(phone, "report-receipt-escalated")
    submission = stored(db)
    assert submission.office_id == deployment.authority.id and submission.sealed_in_browser
    # The hospital's office: no row, no count.
    inbox = head_client.get("/office/")
    assert "暂无提交" in inbox.text and submission.id not in inbox.text
    # The authority's officer reads it in a desktop browser.
    zhao = authority_officer(db, deployment, settings)
    from tests.helpers import office_login

    office_login(desktop, live_server, zhao.totp_secret, username="zhao")
    desktop.click("text=打开")
    assert FIELDS["what"] in desktop.inner_text("main") and "院办" in desktop.inner_text("h1")
    desktop.click("#open-identity")
    assert FIELDS["real_name"] in desktop.inner_text("#identity")
    screenshot(desktop, "office-report-escalated")


def test_follow_up_round_trip_in_the_browser(live_server, phone, db, deployment, head_client, screenshot):
    phone.goto(f"{live_server}/q/{poster_code(db)}/report")
    phone.wait_for_selector("#seal-mode:has-text('在您的手机上加密')")
    fill_report(phone)
    phone.click("#submit-report")
    phone.wait_for_selector("#receipt-code")
    code = phone.inner_text("#receipt-code")

    phone.goto(f"{live_server}/follow")
    phone.fill("#code", "1111 2222 3333 4444 5555")
    phone.click("button.primary")
    assert "查询码不正确" in phone.inner_text("#code-error")
    screenshot(phone, "follow-enter-wrong")
    phone.fill("#code", code)
    phone.click("button.primary")
    phone.wait_for_selector("#status-word")
    assert phone.inner_text("#status-word") == "已收到"

    submission = stored(db)
    from tests.helpers import csrf_of

    page = head_client.get(f"/office/submissions/{submission.id}")
    head_client.post(f"/office/submissions/{submission.id}/reply",
                     data={"csrf_token": csrf_of(page.text), "text": "感谢您的反映，请问当时还有谁在场？"})
    head_client.post(f"/office/submissions/{submission.id}/status",
                     data={"csrf_token": csrf_of(page.text), "status": "investigating", "result": "已成立核查组。"})
    phone.reload()
    assert phone.inner_text("#status-word") == "核查中"
    assert "感谢您的反映" in phone.inner_text(".thread") and "已成立核查组。" in phone.inner_text("#result-text")
    phone.fill("#answer-text", f"{MARK}-护士长也在场。")
    phone.set_input_files("#answer-files", files=[{"name": "a.jpg", "mimeType": "image/jpeg",
                                                   "buffer": photo_with_gps(MARK)}])
    phone.click("#answer-form button.primary")
    phone.wait_for_selector("#sent-notice")
    assert "护士长也在场" in phone.inner_text(".thread")
    screenshot(phone, "follow-view")
    assert re.sub(r"\D", "", code) not in phone.url
    with db.transaction() as session:
        assert len(session.scalars(select(Attachment)).all()) == 3
    page = head_client.get(f"/office/submissions/{submission.id}")
    assert "护士长也在场" in page.text
