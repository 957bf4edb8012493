"""The authority at desktop size: the administrator's hospital form with a rejected list, then the region page."""

from __future__ import annotations

import pytest

from portal.models import Role
from tests.helpers import office_login
from tests.portal.workbench_support import store_report
from tests.region.support import add_second_hospital, authority_officer

pytestmark = pytest.mark.browser


def test_bad_department_list_then_region_page(live_server, desktop, db, settings, deployment, department, screenshot,
                                              browser):
    admin = authority_officer(db, settings, deployment, "it-admin", role=Role.ADMIN)
    page = desktop
    office_login(page, live_server, admin.totp_secret, username="it-admin")
    page.click("header nav >> text=医院管理")
    page.click("text=新增医院")
    page.fill("input[name=name]", "示例市第二人民医院")
    page.fill("input[name=code]", "demo")
    page.fill("input[name=head_name]", "赵主任")
    page.fill("input[name=head_username]", "zhao")
    page.fill("textarea[name=departments]", "科室名称,类别\n骨科,临床\n,职能\n骨科,临床\n药剂科,后勤\n")
    page.click("button.primary")
    assert page.locator(".error-box li").count() == 4
    assert page.input_value("input[name=head_username]") == "zhao"
    screenshot(page, "region-hospital-rejected")

    for n in range(12):
        store_report(db, deployment, department, f"举报{n}")
    add_second_hospital(db, settings, deployment)
    chief = authority_officer(db, settings, deployment, "chief")
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
    other = context.new_page()
    office_login(other, live_server, chief.totp_secret, username="chief")
    other.goto(f"{live_server}/office/region")
    other.click("text=核验全部审计日志")
    assert other.locator(".chain-ok").count() >= 2
    screenshot(other, "region-dashboard")
    context.close()
