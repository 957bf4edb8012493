"""Working days in China, the deadlines owed to real-name reporters, and the unified inbox with its filters."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intake.db import utcnow
from intake.workdays import add_workdays, is_workday, workdays_between
from portal.clue_models import NoticeKind, WorkAssignment
from portal.deadlines import DeadlineState, deadlines_for, record_notice
from portal.models import AuditEvent, Role
from tests.portal.workbench_support import add_officer, clue_form, days_ago, post, second_hospital, store_report


@pytest.mark.parametrize(("start", "count", "due"), [
    (date(2025, 9, 30), 1, date(2025, 10, 9)),  # National Day and Mid-Autumn, 1-8 October 2025
    (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Sunday 28 September is worked (调休)
    (date(2026, 2, 13), 1, date(2026, 2, 14)),  # so is Saturday 14 February 2026
    (date(2026, 2, 14), 1, date(2026, 2, 24)),  # then Spring Festival, 15-23 February
    (date(2026, 4, 30), 15, date(2026, 5, 25)),  # Labour Day 1-5 May; Saturday 9 May is the 4th
    (date(2027, 3, 5), 5, date(2027, 3, 12)),  # a year without data: Monday to Friday
])
def test_working_days_follow_the_state_council_calendar(start, count, due):
    assert add_workdays(start, count) == due
    assert workdays_between(start, due) == count


def test_weekends_and_holidays_are_not_working_days():
    assert not is_workday(date(2026, 10, 1)) and not is_workday(date(2025, 1, 1))
    assert is_workday(date(2026, 1, 4)) and not is_workday(date(2026, 1, 3))


def test_a_real_name_report_owes_an_acceptance_notice_and_shows_overdue(db, deployment, department, settings,
                                                                        head_client):
    late = store_report(db, deployment, department, "很久以前的实名举报", real_name=True, received=days_ago(40))
    fresh = store_report(db, deployment, department, "今天的实名举报", real_name=True)
    anonymous = store_report(db, deployment, department, "匿名举报", received=days_ago(40))
    page = head_client.get("/office/work?due=overdue").text
    assert late in page and fresh not in page and anonymous not in page
    assert "受理告知" in page and "已逾期" in page
    # A reply through the follow-up page (wired by the lead) or a call counts as the notice.
    with db.transaction() as session:
        record_notice(session, late, NoticeKind.ACCEPTANCE, utcnow())
    assert late not in head_client.get("/office/work?due=overdue").text
    everything = head_client.get("/office/work").text
    assert fresh in everything and anonymous in everything


def test_the_result_notice_is_due_after_closing_and_the_periods_are_configurable(db, deployment, department,
                                                                                 settings):
    from dataclasses import replace

    report = store_report(db, deployment, department, "实名", real_name=True, received=days_ago(3))
    with db.transaction() as session:
        from intake.models import Submission

        row = session.get(Submission, report)
        short = deadlines_for(session, [row], acceptance_workdays=1, result_workdays=1, today=date.today())
        normal = deadlines_for(session, [row], acceptance_workdays=settings.acceptance_notice_workdays,
                               result_workdays=15, today=date.today())
    assert short[report][0].due < normal[report][0].due
    assert [d.kind for d in normal[report]] == [NoticeKind.ACCEPTANCE]
    assert replace(settings, acceptance_notice_workdays=5).acceptance_notice_workdays == 5


def test_closing_the_clue_starts_the_result_deadline(db, deployment, department, head_client):
    report = store_report(db, deployment, department, "实名举报", real_name=True, received=days_ago(2))
    response = post(head_client, "/office/clues/new", clue_form(
        submission_id=report, received_on=date.today().isoformat(), status="closed", disposition="conclude",
        result="经核实，予以了结"))
    assert response.status_code == 303
    clue_page = head_client.get(response.headers["location"]).text
    assert "结果告知" in clue_page and "未到期" in clue_page
    # The officer calls the reporter and records it.
    clue_id = response.headers["location"].split("/")[-1].split("?")[0]
    for kind in ("acceptance", "result"):
        assert post(head_client, f"/office/clues/{clue_id}/notices",
                    {"submission_id": report, "kind": kind, "via": "phone"}).status_code == 303
    with db.transaction() as session:
        from intake.models import Submission

        states = [d.state for d in deadlines_for(session, [session.get(Submission, report)], acceptance_workdays=15,
                                                 result_workdays=15, today=date.today())[report]]
    assert states == [DeadlineState.DONE, DeadlineState.DONE]


def test_filters_and_assignment(db, deployment, department, settings, head_client):
    other_department = next(d for d in deployment.hospital.departments if d.id != department.id)
    mine = store_report(db, deployment, department, "甲")
    theirs = store_report(db, deployment, other_department, "乙")
    li = add_officer(db, settings, deployment, "li")
    admin = add_officer(db, settings, deployment, "it", role=Role.ADMIN, with_keys=False)
    page = head_client.get(f"/office/work?department_id={department.id}").text
    assert mine in page and theirs not in page

    assert post(head_client, "/office/work/assign", {"item": [f"report:{mine}"], "assignee_id": str(li.officer.id)}
                ).status_code == 303
    assert mine in head_client.get(f"/office/work?assignee={li.officer.id}").text
    unassigned = head_client.get("/office/work?assignee=none").text
    assert theirs in unassigned and mine not in unassigned
    refused = post(head_client, "/office/work/assign", {"item": [f"report:{theirs}"],
                                                         "assignee_id": str(admin.officer.id)})
    assert refused.status_code == 400 and "请选择本室在岗的纪检干部" in refused.text
    with db.transaction() as session:
        rows = session.scalars(select(WorkAssignment)).all()
        assert [(r.item_ref, r.assignee_id) for r in rows] == [(mine, li.officer.id)]
        assert "assigned" in session.scalars(select(AuditEvent.action)).all()


def test_another_office_s_report_cannot_be_assigned(db, deployment, department, settings, head_client):
    other = second_hospital(db, settings)
    foreign = store_report(db, deployment, other.department, "别院举报", office_id=other.office.id,
                           hospital_id=other.office.hospital_id)
    response = post(head_client, "/office/work/assign", {"item": [f"report:{foreign}"], "assignee_id": ""})
    assert response.status_code == 400 and "不属于本室" in response.text
    assert foreign not in head_client.get("/office/work?show=all").text


def test_a_report_category_comes_from_its_clue(db, deployment, department, head_client):
    report = store_report(db, deployment, department, "回扣")
    post(head_client, "/office/clues/new", clue_form(submission_id=report, category="kickback"))
    assert report in head_client.get("/office/work?category=kickback").text
    assert report not in head_client.get("/office/work?category=red_envelope").text
