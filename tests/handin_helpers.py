"""Acting like a staff member at the hand-in form, for the hand-in tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from starlette.testclient import TestClient

from intake.db import utcnow
from intake.models import Audience, Poster
from intake.workdays import CHINA
from portal.db import Database
from tests.helpers import csrf_of


def today() -> date:
    return utcnow().astimezone(CHINA).date()


def staff_poster(db: Database, department_id: int | None) -> str:
    with db.transaction() as session:
        code = session.scalar(select(Poster.code).where(Poster.audience == Audience.STAFF,
                                                        Poster.department_id.is_(None) if department_id is None
                                                        else Poster.department_id == department_id))
    assert code
    return code


def valid_form(**changes: str) -> dict[str, str]:
    form = {
        "staff_name": "李明", "staff_number": "A1023", "patient_name": "张三", "inpatient_number": "ZY2025001",
        "bed": "12", "received_on": today().isoformat(), "received_time": "",
        "circumstance": "查房后发现信封放在抽屉里，内有现金。", "form": "cash", "amount": "2000",
        "items": "", "quantity": "", "requested": "deposit", "witness": "王护士长",
    }
    form.update(changes)
    return form


@dataclass(frozen=True)
class Registration:
    number: str
    receipt_code: str
    page: str


def register(client: TestClient, code: str, **changes: str) -> Registration:
    """Fill and send the form as a staff member would; return what the receipt page shows."""
    page = client.get(f"/q/{code}/handin")
    assert page.status_code == 200, page.text
    response = client.post(f"/q/{code}/handin", data={"csrf_token": csrf_of(page.text), **valid_form(**changes)})
    assert response.status_code == 200, response.text
    number = re.search(r'class="number">(SJ-\d{8}-[2-9A-Z]{6})<', response.text)
    groups = re.search(r'<p class="code"[^>]*>((?:<span>\d{4}</span>){5})</p>', response.text)
    assert number and groups, response.text
    return Registration(number=number.group(1), receipt_code="".join(re.findall(r"\d{4}", groups.group(1))),
                        page=response.text)


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()
