"""An officer works a report through to a closed clue in a real browser at desktop size, and exports the ledger."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.helpers import office_login
from tests.portal.workbench_support import days_ago, store_report

pytestmark = pytest.mark.browser


def test_from_report_to_closed_clue_and_ledger_export(live_server, desktop, deployment, department, db, screenshot):
    store_report(db, deployment, department, "心内科某医生收红包两千元，要求家属在走廊交钱", real_name=True,
                 received=days_ago(30))
    store_report(db, deployment, department, "另一份匿名举报")
    page = desktop
    office_login(page, live_server, deployment.officer.totp_secret)

    page.click("header nav >> text=待办")
    assert "已逾期" in page.inner_text(".counters")
    screenshot(page, "office-work")
    page.locator("tr.overdue >> text=转为线索").click()
    assert "要求家属在走廊交钱" in page.inner_text("aside")
    page.fill("input[name=person]", "赵某")
    page.fill("input[name=position]", "主治医师")
    page.fill("textarea[name=summary]", "反映心内科赵某收受红包两千元")
    page.select_option("select[name=category]", "red_envelope")
    screenshot(page, "office-clue-new")
    page.click("text=保存线索")
    assert "已保存" in page.inner_text("main")

    # Closing without a result is refused and the typed text stays.
    page.select_option("select[name=status]", "closed")
    page.select_option("select[name=disposition]", "verification")
    page.fill("textarea[name=notes]", "已调取走廊监控")
    page.click("text=保存修改")
    assert "销号前必须先记录处置结果" in page.inner_text("main")
    assert page.input_value("textarea[name=notes]") == "已调取走廊监控"
    screenshot(page, "office-clue-refused")

    page.select_option("select[name=outcome_form]", "1")
    page.fill("textarea[name=result]", "经核实属实，予以诫勉谈话，红包已退还")
    page.click("text=保存修改")
    main = page.inner_text("main")
    assert "已保存" in main and "已销号" in main and "加密内容已修改" in main
    page.click("text=记录已受理告知")
    screenshot(page, "office-clue-closed")

    page.click("header nav >> text=线索台帐")
    assert "诫勉谈话" in page.inner_text("#ledger")
    screenshot(page, "office-ledger")
    with page.expect_download() as download:
        page.click("text=导出台帐（xlsx）")
    sheet = load_workbook(BytesIO(download.value.path().read_bytes())).active
    assert sheet.cell(row=4, column=2).value == "赵某"
    assert "第一种形态" in sheet.cell(row=4, column=7).value

    page.click("header nav >> text=审计日志")
    page.click("text=校验完整性")
    assert "校验通过" in page.inner_text("main")
    screenshot(page, "office-audit")
    page.click("header nav >> text=人员与权限")
    screenshot(page, "office-officers")
    page.click("header nav >> text=报表导出")
    screenshot(page, "office-exports")


def test_a_busy_inbox_pages_with_the_overdue_report_first(live_server, desktop, deployment, department, db,
                                                           screenshot):
    from datetime import timedelta

    from sqlalchemy import insert

    from intake.db import new_id, this_hour
    from intake.models import Submission, SubmissionKind

    late = store_report(db, deployment, department, "一年前的实名举报", real_name=True, received=days_ago(365))
    with db.transaction() as session:
        session.execute(insert(Submission), [
            {"id": new_id(), "kind": SubmissionKind.REPORT, "office_id": deployment.office.id,
             "hospital_id": deployment.hospital.id, "department_id": department.id, "envelope": b"sealed",
             "created_hour": this_hour() - timedelta(hours=n)} for n in range(230)])
    page = desktop
    office_login(page, live_server, deployment.officer.totp_secret)
    page.goto(f"{live_server}/office/work")
    assert page.locator("tbody tr").first.get_attribute("class") == "overdue"
    assert page.locator("tbody tr").first.locator("input").get_attribute("value") == f"report:{late}"
    assert "第 1 / 3 页" in page.inner_text("nav.pager >> nth=0") and "共 231 条" in page.inner_text("main")
    screenshot(page, "office-work-paged")
    page.locator("nav.pager >> nth=0 >> text=下一页").click()
    assert "第 2 / 3 页" in page.inner_text("nav.pager >> nth=0")
    assert page.locator("tbody tr").count() == 100
