"""A staff member registers a red envelope: sealed at once, a receipt code shown once, the deadline said plainly."""

from __future__ import annotations

import re

from sqlalchemy import select

from crypto import derive_receipt_keys
from intake.handin_models import GiftForm, HandIn, HandInState
from intake.models import Receipt, Submission, SubmissionKind
from intake.receipts import find_receipt, receipt_pepper
from tests.handin_helpers import days_ago, register, staff_poster, today, valid_form
from tests.helpers import csrf_of

SECRET_NAME = "欧阳震华-canary"
SECRET_PATIENT = "司马光明-canary"


def test_a_registration_is_sealed_and_shows_number_time_and_receipt_code_once(client, db, deployment, department,
                                                                              settings):
    code = staff_poster(db, department.id)
    done = register(client, code, staff_name=SECRET_NAME, patient_name=SECRET_PATIENT, amount="3,000")

    assert "登记成功" in done.page
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", done.page)  # the exact time, to the second
    assert "按期登记" in done.page and "收到当天登记" in done.page
    with db.transaction() as session:
        handin = session.scalar(select(HandIn).where(HandIn.registration_number == done.number))
        submission = session.get(Submission, handin.submission_id)
        assert submission.kind is SubmissionKind.HAND_IN and submission.department_id == department.id
        assert handin.state is HandInState.REGISTERED and handin.form is GiftForm.CASH and not handin.late
        assert handin.received_on == today() and handin.registered_at.microsecond == 0
        for secret in (SECRET_NAME, SECRET_PATIENT, "3000.00"):
            assert secret.encode() not in submission.envelope
        # The receipt code is stored only as its lookup hash, and finds this registration.
        keys = derive_receipt_keys(done.receipt_code, pepper=receipt_pepper(settings.secret.reveal()),
                                   params=settings.argon2)
        receipt = find_receipt(session, keys)
        assert receipt is not None and receipt.submission_id == submission.id
        assert session.scalar(select(Receipt).where(Receipt.lookup == done.receipt_code.encode())) is None


def test_the_office_reads_what_was_registered(client, db, deployment, department, head_client):
    done = register(client, staff_poster(db, department.id), staff_name=SECRET_NAME, amount="1500.5")
    with db.transaction() as session:
        submission_id = session.scalar(select(HandIn.submission_id).where(HandIn.registration_number == done.number))
    page = head_client.get(f"/office/handins/{submission_id}")
    assert page.status_code == 200
    assert SECRET_NAME in page.text and "1500.50" in page.text and "王护士长" in page.text


def test_a_late_registration_is_said_plainly_and_flagged_for_the_office(client, db, deployment, department,
                                                                       head_client):
    done = register(client, staff_poster(db, department.id), received_on=days_ago(20))
    assert "逾期登记" in done.page and "超过规定的 2 个工作日" in done.page
    register(client, staff_poster(db, department.id), received_on=today().isoformat(), staff_number="B2")
    listing = head_client.get("/office/handins?state=registered").text
    rows = re.findall(r"<tr( class=\"late-row\")?>\s*<td class=\"mono\">(SJ-[^<]+)</td>", listing)
    assert {number: bool(late) for late, number in rows}[done.number] is True
    assert sorted(bool(late) for late, _ in rows) == [False, True]


def test_bad_input_is_said_at_the_field_and_the_rest_is_kept(client, db, deployment, department):
    code = staff_poster(db, department.id)
    page = client.get(f"/q/{code}/handin")
    tomorrow = "2999-01-01"
    response = client.post(f"/q/{code}/handin", data={
        "csrf_token": csrf_of(page.text),
        **valid_form(staff_number="", amount="-500", received_on=tomorrow, circumstance="家属塞进口袋后离开"),
    })
    assert response.status_code == 400
    html = response.text
    assert 'id="err-staff_number"' in html and "请填写您的工号" in html
    assert 'id="err-amount"' in html and "金额必须大于 0" in html
    assert 'id="err-received_on"' in html and "收到日期不能晚于今天" in html
    assert 'value="李明"' in html and "家属塞进口袋后离开" in html and 'value="ZY2025001"' in html
    with db.transaction() as session:
        assert session.scalar(select(HandIn.submission_id)) is None


def test_absurd_amounts_and_a_gift_without_items_are_refused(client, db, deployment, department):
    code = staff_poster(db, department.id)
    page = client.get(f"/q/{code}/handin")
    for changes, message in (({"amount": "50000000"}, "超过 100 万元"), ({"amount": "abc"}, "只填数字"),
                             ({"amount": "12.345"}, "两位小数"), ({"amount": ""}, "请填写金额"),
                             ({"form": "gift", "amount": "", "items": "", "quantity": "0"}, "请写明物品名称")):
        response = client.post(f"/q/{code}/handin", data={"csrf_token": csrf_of(page.text), **valid_form(**changes)})
        assert response.status_code == 400 and message in response.text, changes


def test_a_gift_is_registered_with_items_and_quantity(client, db, deployment, department):
    done = register(client, staff_poster(db, department.id), form="gift", amount="", items="茶叶", quantity="２")
    with db.transaction() as session:
        handin = session.scalar(select(HandIn).where(HandIn.registration_number == done.number))
        assert handin.form is GiftForm.GIFT


def test_a_hospital_wide_staff_poster_asks_for_the_department(client, db, deployment, department):
    code = staff_poster(db, None)
    page = client.get(f"/q/{code}/handin")
    assert 'name="department_id"' in page.text and "心血管内科" in page.text
    missing = client.post(f"/q/{code}/handin", data={"csrf_token": csrf_of(page.text), **valid_form()})
    assert missing.status_code == 400 and "请选择您所在的科室" in missing.text
    done = register(client, code, department_id=str(department.id))
    with db.transaction() as session:
        handin = session.scalar(select(HandIn).where(HandIn.registration_number == done.number))
        assert session.get(Submission, handin.submission_id).department_id == department.id


def test_a_patient_poster_does_not_offer_the_hand_in_form(client, db, deployment, department):
    from intake.models import Audience, Poster

    with db.transaction() as session:
        code = session.scalar(select(Poster.code).where(Poster.audience == Audience.PATIENT,
                                                        Poster.department_id == department.id))
    response = client.get(f"/q/{code}/handin", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/q/{code}"


def test_the_form_refuses_a_post_without_its_csrf_token(client, db, deployment, department):
    code = staff_poster(db, department.id)
    response = client.post(f"/q/{code}/handin", data=valid_form())
    assert response.status_code == 403


def test_the_form_and_its_receipt_read_in_english(client, db, deployment, department):
    client.cookies.set("hip_lang", "en")
    code = staff_poster(db, department.id)
    page = client.get(f"/q/{code}/handin").text
    assert "Red-envelope hand-in" in page and "Staff number" in page and "register it by" in page
    refused = client.post(f"/q/{code}/handin", data={"csrf_token": csrf_of(page), **valid_form(staff_number="")})
    assert "Enter your staff number." in refused.text and "fields need correcting" in refused.text
    done = register(client, code, received_on=days_ago(20))
    assert "Your receipt code" in done.page and "Registered late" in done.page
