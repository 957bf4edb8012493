"""A patient rates at phone size (sealed in the browser, and without JavaScript), and the office's dashboard
shows the ratings once the rollup has run in the officer's browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.models import Submission
from tests.helpers import office_login
from tests.rating_helpers import GOOD, department_id, patient_poster, store_rating

pytestmark = pytest.mark.browser

CHOICES = {"overall": "很好", "red_envelope": "否", "outside_purchase": "否", "unnecessary": "不清楚",
           "fees_clear": "较清楚", "attitude": "很好", "recommend": "一定会"}


def answer_all(page, skip: str = "") -> None:  # type: ignore[no-untyped-def]
    for key, label in CHOICES.items():
        if key != skip:
            page.locator(f"#q-{key} label.choice", has_text=label).first.click()


def test_a_patient_rates_on_a_phone_and_the_answers_are_sealed_in_the_browser(live_server, phone, db, deployment,
                                                                               screenshot):
    code = patient_poster(db, "骨科")
    phone.goto(f"{live_server}/q/{code}/rate")
    screenshot(phone, "rating-form-phone")
    answer_all(phone, skip="attitude")
    phone.click("#rating-submit")
    # A missing answer is said at its question, in the page, before anything is sent.
    assert phone.locator('#q-attitude .field-error').is_visible()
    screenshot(phone, "rating-form-missing-phone")
    phone.locator("#q-attitude label.choice", has_text="较好").click()
    phone.fill("#comment", "出院结算很快")
    phone.click("#rating-submit")
    phone.wait_for_url("**/rate/thanks?sealed=browser")
    assert "感谢您的评价" in phone.content() and phone.locator(f'a[href="/q/{code}/report"]').is_visible()
    screenshot(phone, "rating-thanks-phone")
    with db.transaction() as session:
        submission = session.scalar(select(Submission))
    assert submission.sealed_in_browser and "出院结算很快".encode() not in submission.envelope


def test_the_form_works_without_javascript(live_server, phone_without_js, db, deployment):
    page = phone_without_js
    page.goto(f"{live_server}/q/{patient_poster(db, None)}/rate")
    page.select_option("select[name=department]", label="儿科")
    answer_all(page, skip="recommend")
    page.click("#rating-submit")
    assert page.locator("#q-recommend .field-error").is_visible()
    assert page.locator('#q-overall input[value="5"]').is_checked()  # kept
    page.locator("#q-recommend label.choice", has_text="可能会").click()
    page.click("#rating-submit")
    page.wait_for_url("**/rate/thanks?sealed=server")
    children = department_id(db, "儿科")
    with db.transaction() as session:
        assert session.scalar(select(Submission.department_id)) == children


def test_the_dashboard_counts_new_ratings_and_shows_them(live_server, desktop, db, deployment, screenshot):
    bone = department_id(db, "骨科")
    for i in range(14):
        store_rating(db, deployment, department=bone, answers=GOOD, verified=i < 11)
    store_rating(db, deployment, department=department_id(db, "儿科"), answers=GOOD, comment="希望增加停车位")
    office_login(desktop, live_server, deployment.officer.totp_secret)
    desktop.goto(f"{live_server}/office/ratings")
    # The rollup starts by itself in the officer's browser, shows progress, then the page reloads counted.
    desktop.wait_for_selector("#charts:not([hidden])")
    desktop.wait_for_selector("#rollup", state="detached")  # no string predicate: the page's CSP forbids eval
    assert "骨科" in desktop.content() and ">15<" in desktop.content()
    assert desktop.locator("#chart-q0").bounding_box()["height"] > 50
    screenshot(desktop, "ratings-dashboard-desktop")
    desktop.goto(f"{live_server}/office/ratings?dept={bone}")
    desktop.wait_for_selector("#charts:not([hidden])")
    screenshot(desktop, "ratings-dashboard-department-desktop")
    desktop.goto(f"{live_server}/office/ratings/alerts")
    assert "希望增加停车位" in desktop.content()
    screenshot(desktop, "ratings-alerts-desktop")
