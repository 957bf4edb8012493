"""An officer logs in with a real browser at desktop size and opens a sealed report."""

from __future__ import annotations

import pyotp
import pytest

from tests.helpers import PASSWORD
from tests.portal.test_sealed_spine import MARKER, store_sealed_report

pytestmark = pytest.mark.browser


def test_officer_logs_in_and_opens_a_report(live_server, desktop, deployment, department, db, screenshot):
    store_sealed_report(db, deployment, department, MARKER)
    desktop.goto(f"{live_server}/office/login")
    screenshot(desktop, "office-login")
    desktop.fill("input[name=username]", "head")
    desktop.fill("input[name=password]", PASSWORD)
    desktop.fill("input[name=totp]", pyotp.TOTP(deployment.officer.totp_secret).now())
    desktop.click("button.primary")
    desktop.wait_for_url(f"{live_server}/office/")
    screenshot(desktop, "office-inbox")
    desktop.click("text=打开")
    assert MARKER in desktop.inner_text("main")
    screenshot(desktop, "office-submission")
    desktop.click("text=退出登录")
    desktop.wait_for_url(f"{live_server}/office/login")


def test_public_home_at_phone_size(live_server, phone, screenshot):
    phone.goto(live_server)
    assert "医院廉洁监督平台" in phone.inner_text("h1")
    screenshot(phone, "public-home")
    phone.click("text=English")
    assert phone.inner_text("h1") == "Hospital Integrity Portal"
