"""A doctor registers a red envelope on a phone; the office confirms it and downloads the signed certificate,
whose QR code opens the verification page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.handin_helpers import staff_poster
from tests.helpers import office_login

pytestmark = pytest.mark.browser


def test_register_at_phone_size_then_confirm_and_download_the_certificate(
        live_server, phone, desktop, deployment, department, db, screenshot, tmp_path):
    code = staff_poster(db, department.id)
    phone.goto(f"{live_server}/q/{code}")
    phone.click("text=红包上缴登记")
    assert phone.inner_text("h1") == "红包上缴登记"
    screenshot(phone, "handin-form")

    # A first attempt with a negative amount and no staff number: said at the field, the rest kept.
    phone.fill("#f-staff_name", "李明")
    phone.fill("#f-patient_name", "张三")
    phone.fill("#f-inpatient_number", "ZY2025001")
    phone.fill("#f-bed", "12")
    phone.fill("#f-circumstance", "查房后发现信封放在床头柜抽屉里，内有现金。")
    phone.check("input[name=form][value=cash]")
    phone.fill("#f-amount", "-2000")
    phone.fill("#f-witness", "王护士长")
    phone.click("button.primary")
    assert "请填写您的工号" in phone.inner_text("#err-staff_number")
    assert "金额必须大于 0" in phone.inner_text("#err-amount")
    assert phone.input_value("#f-circumstance") == "查房后发现信封放在床头柜抽屉里，内有现金。"
    screenshot(phone, "handin-form-errors")

    phone.fill("#f-staff_number", "A1023")
    phone.fill("#f-amount", "2000")
    phone.click("button.primary")
    assert phone.inner_text("h1") == "登记成功"
    number = phone.inner_text("dd.number")
    groups = phone.locator("p.code span").all_inner_texts()
    assert re.fullmatch(r"SJ-\d{8}-[2-9A-Z]{6}", number) and len(groups) == 5
    assert all(re.fullmatch(r"\d{4}", g) for g in groups)
    assert "".join(groups) not in phone.url
    screenshot(phone, "handin-receipt")

    office_login(desktop, live_server, deployment.officer.totp_secret)
    desktop.click("header nav >> text=红包上缴登记")
    assert number in desktop.inner_text("main")
    screenshot(desktop, "office-handins")
    desktop.click(f"tr:has-text('{number}') >> text=打开")
    assert "李明" in desktop.inner_text("main")
    desktop.fill("form.step textarea[name=note]", "信封完好，现金 2000 元，与登记相符")
    desktop.click("text=确认已收到")
    desktop.check("input[name=handling][value=deposit]")
    desktop.fill("input[name=slip_number]", "YJ-778899")
    desktop.click("text=保存处理结果")
    assert "YJ-778899" in desktop.inner_text("main")
    screenshot(desktop, "office-handin-detail")

    desktop.click("header nav >> text=红包上缴登记")
    desktop.click("nav.tabs >> text=汇总表")
    assert "心血管内科" in desktop.inner_text("table.summary") and "0.2000" in desktop.inner_text("table.summary")
    screenshot(desktop, "office-handin-summary")
    desktop.go_back()
    desktop.go_back()
    with desktop.expect_download() as download:
        desktop.click("text=下载最新上缴凭证（PDF）")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm and zbarimg are needed to look at the certificate")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image = Path(ARTIFACTS / "handin-certificate")
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(pdf), str(image)], check=True)
    url = subprocess.run(["zbarimg", "--raw", "-q", f"{image}.png"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert f"/verify/{number}?sig=" in url

    phone.goto(live_server + url[url.index("/verify/"):])
    assert "真实有效" in phone.inner_text("main") and "登记于" in phone.inner_text("main")
    screenshot(phone, "handin-verify-genuine")
    phone.goto(f"{live_server}/verify/{number[:-1]}{'2' if number[-1] != '2' else '3'}" + url[url.index("?"):])
    assert "非真实凭证" in phone.inner_text("main")
    screenshot(phone, "handin-verify-forged")
