"""The unified inbox of a busy office: more than 2,000 reports, every one counted, the overdue ones always first,
the rest in pages."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from intake.db import new_id, this_hour
from intake.models import Submission, SubmissionKind
from intake.workdays import CHINA, china_today, workdays_between
from portal.clue_models import Clue, ClueReport, ClueSource, ClueStatus, NoticeKind, ReporterNotice, WorkAssignment
from portal.workbench import PAGE_SIZE
from tests.portal.workbench_support import add_officer, post

ANONYMOUS = 2100


def _china_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=CHINA)


def _workdays_ago(count: int) -> date:
    day = china_today()
    while workdays_between(day, china_today()) < count:
        day -= timedelta(days=1)
    return day


def _reports(db, deployment, rows: list[dict]) -> list[str]:  # type: ignore[no-untyped-def]
    """Reports inserted in bulk as the intake stores them (the inbox never opens an envelope)."""
    base = {"kind": SubmissionKind.REPORT, "office_id": deployment.office.id, "hospital_id": deployment.hospital.id,
            "envelope": b"sealed", "identity_envelope": None, "sealed_in_browser": True, "status": "received"}
    full = [{**base, "id": new_id(), **row} for row in rows]
    with db.transaction() as session:
        session.execute(insert(Submission), full)
    return [row["id"] for row in full]


def _keys(page: str) -> list[str]:
    return re.findall(r'name="item" value="report:(\w+)"', page)


def _counter(page: str, label: str) -> int:
    found = re.search(label + r" <strong>(\d+)</strong>", page)
    assert found is not None, label
    return int(found.group(1))


@pytest.fixture
def busy_office(db, deployment, department):  # type: ignore[no-untyped-def]
    """2,100 anonymous reports of the last weeks (newest first: index 0), an old real-name report whose acceptance
    notice is long overdue, an older real-name report told of its acceptance whose clue closed long ago without the
    result notice, and a real-name report whose acceptance notice falls due in two working days."""
    other = next(d for d in deployment.hospital.departments if d.id != department.id)
    now = this_hour()
    anonymous = _reports(db, deployment, [
        {"created_hour": now - timedelta(hours=n), "department_id": department.id if n % 3 else other.id,
         "status": "accepted" if n % 7 == 0 else "received"} for n in range(ANONYMOUS)])
    late, told, soon = _reports(db, deployment, [
        {"created_hour": now - timedelta(days=400), "department_id": department.id, "identity_envelope": b"id"},
        {"created_hour": now - timedelta(days=500), "department_id": other.id, "identity_envelope": b"id",
         "status": "closed"},
        {"created_hour": _china_noon(_workdays_ago(13)), "department_id": department.id, "identity_envelope": b"id"},
    ])
    with db.transaction() as session:
        session.execute(insert(Clue), [{"id": 1, "office_id": deployment.office.id, "number": "2024-00001",
                                        "source": ClueSource.PETITION, "received_on": date.today() - timedelta(500),
                                        "status": ClueStatus.CLOSED, "closed_on": date.today() - timedelta(450),
                                        "department_id": other.id, "version": 1}])
        session.execute(insert(ClueReport), [{"submission_id": told, "clue_id": 1}])
        session.execute(insert(ReporterNotice), [{"submission_id": told, "kind": NoticeKind.ACCEPTANCE,
                                                  "at": now - timedelta(days=499)}])
    return {"anonymous": anonymous, "late": late, "told": told, "soon": soon, "department": department,
            "other": other}


def test_an_old_overdue_report_comes_first_and_every_report_is_counted(busy_office, head_client):
    page = head_client.get("/office/work").text
    # Both overdue reports first (newest of them first), then the one due soon, then the newest.
    assert _keys(page)[:4] == [busy_office["late"], busy_office["told"], busy_office["soon"],
                               busy_office["anonymous"][0]]
    waiting = ANONYMOUS + 3
    assert _counter(page, "待处理") == waiting
    assert _counter(page, "已逾期") == 2
    assert _counter(page, "即将到期") == 1
    assert _counter(page, "未分派") == waiting
    assert _counter(page, "新收举报") == sum(1 for n in range(ANONYMOUS) if n % 7) + 2  # told's clue: not new
    pages = -(-waiting // PAGE_SIZE)
    assert f"共 {waiting} 条" in page and f"第 1 / {pages} 页" in page and "page=2" in page
    overdue = head_client.get("/office/work?due=overdue").text
    assert _keys(overdue) == [busy_office["late"], busy_office["told"]] and "共 2 条" in overdue


def test_the_pages_show_every_waiting_report_once_in_order(busy_office, head_client):
    seen: list[str] = []
    pages = -(-(ANONYMOUS + 3) // PAGE_SIZE)
    for number in range(1, pages + 1):
        page = head_client.get(f"/office/work?page={number}").text
        assert f"第 {number} / {pages} 页" in page
        seen += _keys(page)
    assert seen == [busy_office["late"], busy_office["told"], busy_office["soon"], *busy_office["anonymous"]]
    # A page past the last shows the last.
    assert _keys(head_client.get(f"/office/work?page={pages + 5}").text) == busy_office["anonymous"][-3:]


def test_filters_count_exactly_and_page_links_keep_them(db, deployment, settings, busy_office, head_client):
    department, other = busy_office["department"], busy_office["other"]
    in_department = sum(1 for n in range(ANONYMOUS) if n % 3) + 2  # late and soon
    page = head_client.get(f"/office/work?department_id={department.id}").text
    assert f"共 {in_department} 条" in page
    assert _keys(page)[:3] == [busy_office["late"], busy_office["soon"], busy_office["anonymous"][1]]
    due = head_client.get(f"/office/work?department_id={other.id}&due=due").text
    assert _keys(due) == [busy_office["told"]] and "共 1 条" in due
    assert f'href="?department_id={department.id}&amp;page=2"' in page
    assert f"共 {ANONYMOUS - in_department + 3} 条" in head_client.get(f"/office/work?department_id={other.id}").text
    accepted = sum(1 for n in range(ANONYMOUS) if n % 7 == 0)
    assert f"共 {accepted} 条" in head_client.get("/office/work?status=accepted").text
    # The closed report with the result notice owed waits; "含已办结" adds none here (every report waits).
    assert f"共 {ANONYMOUS + 3} 条" in head_client.get("/office/work?show=all").text

    li = add_officer(db, settings, deployment, "li")
    with db.transaction() as session:
        session.execute(insert(WorkAssignment), [
            {"item_kind": "report", "item_ref": ref, "office_id": deployment.office.id,
             "assignee_id": li.officer.id} for ref in busy_office["anonymous"][1000:1250]])
    assigned = head_client.get(f"/office/work?assignee={li.officer.id}").text
    assert "共 250 条" in assigned and _keys(assigned)[0] == busy_office["anonymous"][1000]
    unassigned = head_client.get("/office/work?assignee=none").text
    assert f"共 {ANONYMOUS + 3 - 250} 条" in unassigned and _counter(unassigned, "未分派") == ANONYMOUS + 3 - 250


def test_an_item_on_a_later_page_can_be_assigned_and_the_officer_returns_to_that_page(
        db, deployment, settings, busy_office, head_client):
    li = add_officer(db, settings, deployment, "li")
    third = head_client.get("/office/work?page=3").text
    ref = _keys(third)[5]
    response = post(head_client, "/office/work/assign", {"item": [f"report:{ref}"], "assignee_id": str(li.officer.id),
                                                         "back": "page=3"})
    assert response.status_code == 303 and response.headers["location"] == "/office/work?page=3"
    assert _keys(head_client.get(f"/office/work?assignee={li.officer.id}").text) == [ref]
