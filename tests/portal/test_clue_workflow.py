"""Clues: a report becomes a clue or joins one; the workflow's rules refuse bad input and keep what was typed;
sealed texts never reach the database or the history in the clear; a second editor is told, not overwritten."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient

from intake.models import Department, Submission
from portal.clue_models import Clue, ClueChange, ClueReport, ClueStatus
from portal.models import AuditEvent
from tests.helpers import PASSWORD
from tests.portal.workbench_support import add_officer, clue_form, post, store_report

MARKER = "CLUE-CANARY-收红包五千-9e2b"


def actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def make_clue(client, **overrides: str) -> int:  # type: ignore[no-untyped-def]
    response = post(client, "/office/clues/new", clue_form(**overrides))
    assert response.status_code == 303, response.text
    return int(re.search(r"/office/clues/(\d+)", response.headers["location"]).group(1))


def test_a_report_becomes_a_clue_whose_texts_are_sealed(db, deployment, department, head_client):
    report = store_report(db, deployment, department, "医生收了红包")
    page = head_client.get(f"/office/clues/new?submission={report}")
    assert "医生收了红包" in page.text and "将举报转为线索" in page.text
    clue_id = make_clue(head_client, submission_id=report, summary=MARKER, person="李某",
                        department_id=str(department.id))

    shown = head_client.get(f"/office/clues/{clue_id}")
    assert MARKER in shown.text and "李某" in shown.text and "心血管内科" in shown.text
    with db.transaction() as session:
        clue = session.get(Clue, clue_id)
        assert clue.number.startswith("2025-") and clue.status is ClueStatus.PENDING
        assert session.get(ClueReport, report).clue_id == clue_id
        assert session.get(Submission, report).status == "accepted"  # entered in the ledger: 已受理
        stored = b"".join(v for v in (clue.person_sealed, clue.summary_sealed, clue.position_sealed) if v)
        history = " ".join(f"{c.old_value} {c.new_value}" for c in session.scalars(select(ClueChange)))
        details = " ".join(session.scalars(select(AuditEvent.details)))
    for secret in (MARKER, "李某", "主治医师"):
        assert secret.encode() not in stored and secret not in history and secret not in details
    assert {"open_submission", "clue_created", "report_linked", "open_clue"} <= set(actions(db))
    # The report's own page now leads to its clue.
    assert head_client.get(f"/office/clues/new?submission={report}", follow_redirects=False).headers[
        "location"] == f"/office/clues/{clue_id}"


def test_closing_without_a_result_is_refused_and_nothing_typed_is_lost(db, deployment, head_client):
    clue_id = make_clue(head_client)
    form = clue_form(status="closed", disposition="conclude", summary="改过的摘要：仍保留在页面", version="1")
    response = post(head_client, f"/office/clues/{clue_id}", form)
    assert response.status_code == 400
    assert "销号前必须先记录处置结果" in response.text
    assert "改过的摘要：仍保留在页面" in response.text
    with db.transaction() as session:
        clue = session.get(Clue, clue_id)
        assert clue.status is ClueStatus.PENDING and clue.version == 1


def test_impossible_dates_and_mismatched_dispositions_are_refused_with_the_reason(head_client, db, deployment):
    refused = post(head_client, "/office/clues/new", clue_form(received_on="2025-02-30", summary="保留这段文字"))
    assert refused.status_code == 400 and "日期无效" in refused.text and "保留这段文字" in refused.text
    assert "日期不能晚于今天" in post(head_client, "/office/clues/new", clue_form(received_on="2999-01-01")).text
    clue_id = make_clue(head_client)
    cases = [
        ({"status": "pending", "disposition": "verification"}, "状态应为“处置中”或“已销号”"),
        ({"status": "handling", "disposition": ""}, "处置中的线索须选择处置方式"),
        ({"status": "closed", "disposition": "hold", "result": "暂存"}, "“暂存待查”的线索尚未了结，不能销号"),
        ({"status": "handling", "disposition": "talk_inquiry", "further_step": "case"}, "立案审查须以初步核实为前提"),
        ({"status": "handling", "disposition": "verification", "further_step": "transfer"}, "须写明移送单位"),
        ({"status": "closed", "disposition": "conclude", "result": "了结", "closed_on": "2025-03-01"},
         "办结日期不能早于受理日期"),
    ]
    for overrides, reason in cases:
        response = post(head_client, f"/office/clues/{clue_id}", clue_form(version="1", **overrides))
        assert response.status_code == 400, overrides
        assert reason in response.text, overrides
    with db.transaction() as session:
        assert session.get(Clue, clue_id).version == 1
    assert "clue_updated" not in actions(db)


def test_a_clue_is_closed_with_its_result_and_the_history_never_holds_sealed_text(db, deployment, head_client):
    clue_id = make_clue(head_client)
    steps = [
        clue_form(version="1", status="handling", disposition="verification"),
        clue_form(version="2", status="closed", disposition="verification", further_step="case", outcome_form="2",
                  result=MARKER, closed_on="2025-04-10", publicised="1"),
    ]
    for form in steps:
        assert post(head_client, f"/office/clues/{clue_id}", form).status_code == 303
    page = head_client.get(f"/office/clues/{clue_id}").text
    assert "已销号" in page and MARKER in page
    history = page[page.index("修改记录"):]
    flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history))
    assert "办理状态 处置中 已销号" in flat and "办理状态 待处置 处置中" in flat and "王主任" in flat
    assert "加密内容已修改" in history and MARKER not in history
    with db.transaction() as session:
        clue = session.get(Clue, clue_id)
        assert clue.version == 3 and clue.outcome_form == 2 and str(clue.closed_on) == "2025-04-10"
        assert MARKER.encode() not in (clue.result_sealed or b"")
        changes = session.scalars(select(ClueChange).where(ClueChange.field == "result")).all()
        assert [c.sealed for c in changes] == [True] and changes[0].new_value == ""
    assert actions(db).count("clue_status_changed") == 2


def test_a_second_officer_editing_the_same_clue_is_told_and_keeps_their_input(db, deployment, settings, app,
                                                                            head_client, officer_actions):
    clue_id = make_clue(head_client)
    colleague = add_officer(db, settings, deployment, "li")
    with TestClient(app, base_url="http://testserver") as second:
        from tests.helpers import OfficerActions

        assert OfficerActions(second, db).login("li", PASSWORD, colleague.totp_secret).status_code == 303
        # Both opened the form at version 1; the head saves first.
        first = post(head_client, f"/office/clues/{clue_id}",
                     clue_form(version="1", status="handling", disposition="talk_inquiry"))
        assert first.status_code == 303
        late = post(second, f"/office/clues/{clue_id}",
                    clue_form(version="1", status="handling", disposition="verification", notes="李的笔记"))
    assert late.status_code == 409
    assert "其他人已修改了这条线索" in late.text
    assert "李的笔记" in late.text and "王主任" in late.text  # their input, and who changed what
    with db.transaction() as session:
        clue = session.get(Clue, clue_id)
        assert clue.disposition.value == "talk_inquiry" and clue.notes_sealed is None and clue.version == 2


def test_a_report_joins_an_existing_clue_once(db, deployment, department, head_client):
    first = store_report(db, deployment, department, "第一份举报")
    second = store_report(db, deployment, department, "第二份举报：同一医生")
    clue_id = make_clue(head_client, submission_id=first)
    page = head_client.get(f"/office/clues/new?submission={second}")
    assert "并入已有线索" in page.text
    assert post(head_client, "/office/clues/link", {"submission_id": second, "clue_id": str(clue_id)}
                ).status_code == 303
    again = post(head_client, "/office/clues/link", {"submission_id": second, "clue_id": str(clue_id)})
    assert again.status_code == 400 and "该举报已并入其他线索" in again.text
    shown = head_client.get(f"/office/clues/{clue_id}").text
    assert shown.count("/office/submissions/") == 2


def test_a_clue_received_by_letter_is_entered_by_hand(head_client):
    make_clue(head_client, channel="letter", source="petition")
    make_clue(head_client, source="audit", channel="letter")  # a channel belongs only to 信访举报
    ledger = head_client.get("/office/clues").text
    assert "信访举报（来信）" in ledger and "审计发现<" in ledger.replace("</td>", "<")


def test_a_sealed_text_moved_to_another_clue_does_not_open(db, head_client):
    one, two = make_clue(head_client, summary="甲"), make_clue(head_client, summary="乙")
    with db.transaction() as session:
        session.get(Clue, two).summary_sealed = session.get(Clue, one).summary_sealed
    response = head_client.get(f"/office/clues/{two}")
    assert response.status_code == 409 and "甲" not in response.text
    assert actions(db)[-1] == "decryption_failed"


def test_department_choices_are_the_office_hospital_s(db, deployment, head_client):
    with db.transaction() as session:
        names = session.scalars(select(Department.name)).all()
    page = head_client.get("/office/clues/new").text
    assert all(name in page for name in names)
