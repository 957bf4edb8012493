"""The office's poster page and print view in a real browser: the preview shows, printing gives a page per sheet."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake.db import utcnow
from intake.models import Department
from tests.helpers import office_login

pytestmark = pytest.mark.browser


def test_the_office_previews_and_prints_a3_staff_posters(live_server, desktop, screenshot, db, deployment):
    with db.transaction() as session:
        for department in session.scalars(select(Department).where(Department.name.not_in(("骨科", "儿科")))):
            department.retired_at = utcnow()
    office_login(desktop, live_server, deployment.officer.totp_secret)
    desktop.click("text=二维码海报")
    desktop.check("input[name=audience][value=staff]")
    desktop.check("input[name=size][value=A3]")
    desktop.click("button:has-text('预览')")
    loaded = "() => { const img = document.querySelector('figure.preview img'); return img && img.complete }"
    desktop.wait_for_function(loaded)
    assert desktop.evaluate("() => document.querySelector('figure.preview img').naturalWidth") == 600
    assert "已撤并" in desktop.content()
    screenshot(desktop, "office_posters")

    desktop.goto(f"{live_server}/office/posters/print?audience=staff&size=A3&department=all")
    screenshot(desktop, "office_posters_print_view")
    printed = PdfReader(io.BytesIO(desktop.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(printed.pages) == 3  # hospital-wide, 骨科, 儿科: one A3 page each, nothing spills over
    box = printed.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 1191)
