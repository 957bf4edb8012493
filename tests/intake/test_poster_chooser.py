"""A poster's QR code lands on a chooser for its hospital and department; bad codes get a friendly page."""

from __future__ import annotations

from sqlalchemy import select

from intake.db import utcnow
from intake.models import Audience, Department
from tests.helpers import poster_code


def test_a_patient_poster_offers_report_rating_and_follow_up(client, db, deployment):
    code = poster_code(db, department_name="骨科", audience=Audience.PATIENT)
    page = client.get(f"/q/{code}")
    assert page.status_code == 200
    assert "示例市第一人民医院" in page.text and "骨科" in page.text
    for link in (f"/q/{code}/report", f"/q/{code}/rate", "/follow"):
        assert f'href="{link}"' in page.text
    assert "0771-12388" in page.text  # the higher authority's channel is always offered


def test_a_staff_poster_leads_to_the_hand_in_register(client, db, deployment):
    code = poster_code(db, department_name="骨科", audience=Audience.STAFF)
    page = client.get(f"/q/{code.upper()}")
    assert page.status_code == 200
    assert f'href="/q/{code}/handin"' in page.text and "/report" not in page.text


def test_an_unknown_code_still_offers_the_channels(client, deployment):
    page = client.get("/q/zzzzzz")
    assert page.status_code == 404
    assert "未找到这个二维码" in page.text and "0771-12388" in page.text


def test_a_retired_department_points_to_the_hospital_wide_channel(client, db, deployment):
    code = poster_code(db, department_name="骨科", audience=Audience.PATIENT)
    hospital_code = poster_code(db, department_name=None, audience=Audience.PATIENT)
    with db.transaction() as session:
        session.scalar(select(Department).where(Department.name == "骨科")).retired_at = utcnow()
    page = client.get(f"/q/{code}")
    assert page.status_code == 410
    assert "已停用" in page.text and f'href="/q/{hospital_code}"' in page.text


def test_the_home_page_leads_to_each_hospitals_channel(client, db, deployment):
    code = poster_code(db, department_name=None, audience=Audience.PATIENT)
    page = client.get("/")
    assert "示例市第一人民医院" in page.text and f'href="/q/{code}"' in page.text
