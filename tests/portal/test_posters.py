"""Printed posters: every page scans to its own department's chooser, the Chinese is embedded, codes never move."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from intake.db import utcnow
from intake.models import Department, DepartmentCategory, Hospital, Poster

pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="QR decoding needs pyzbar and libzbar0 (apt-get install libzbar0)")

HOSPITAL = "示例市第一人民医院"
KEPT = ("心血管内科", "骨科", "检验科")  # a small batch keeps the suite fast
LONG_NAME = "心血管内科、神经内科、呼吸与危重症医学科联合门诊及日间手术中心第一病区护理单元组"  # 40 characters


@pytest.fixture
def small_hospital(db, deployment):
    """The demo hospital with all but three departments retired."""
    with db.transaction() as session:
        for department in session.scalars(select(Department).where(Department.name.not_in(KEPT))):
            department.retired_at = utcnow()


def render_pages(pdf: bytes, tmp_path: Path, *, dpi: int = 60) -> list[Image.Image]:
    """Rasterise every page with poppler, as a print shop's RIP would, with no Chinese system font to fall back on."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing: apt-get install poppler-utils")
    source = tmp_path / "posters.pdf"
    source.write_bytes(pdf)
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{tmp_path / "no-fonts"}</dir>'
                          f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>')
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")], check=True,
                   env={"FONTCONFIG_FILE": str(fonts_conf), "PATH": "/usr/bin:/bin"}, capture_output=True)
    return [Image.open(path) for path in sorted(tmp_path.glob("page-*.png"))]


def scanned_path(image: Image.Image) -> str:
    """Decode the page's one QR code as a phone would, and return the path of its URL."""
    found = pyzbar.decode(image)
    assert len(found) == 1, "each page carries exactly one readable QR code"
    url = found[0].data.decode()
    assert url.startswith("http://127.0.0.1:8000/q/")  # the settings' public_url
    return urlsplit(url).path


def test_the_whole_hospital_prints_one_page_per_department_and_each_scans_to_its_department(
        head_client, client, small_hospital, tmp_path):
    response = head_client.get("/office/posters/posters.pdf?audience=patient&size=A4&department=all")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1 + len(KEPT)  # the hospital-wide poster, then one page per active department

    pages = render_pages(response.content, tmp_path)
    assert len(pages) == len(reader.pages)
    expected_departments = [None, *KEPT]
    for page_image, pdf_page, department in zip(pages, reader.pages, expected_departments, strict=True):
        text = pdf_page.extract_text()
        assert HOSPITAL in text and (department or "全院通用") in text
        assert "匿名 · 加密 · 仅纪委可见" in text and "0771-12388" in text and "0771-5550100" in text
        chooser = client.get(scanned_path(page_image))
        assert chooser.status_code == 200
        assert HOSPITAL in chooser.text and "我要举报" in chooser.text
        if department:
            assert f'<span class="department">{department}</span>' in chooser.text
        else:
            assert 'class="department"' not in chooser.text
    assert float(reader.pages[0].mediabox.width) == pytest.approx(595.28, abs=0.1)


def test_a_staff_poster_on_a3_leads_to_the_hand_in_register(head_client, client, db, deployment, department,
                                                                tmp_path):
    response = head_client.get(f"/office/posters/posters.pdf?audience=staff&size=A3&department={department.id}")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == pytest.approx(
        (841.89, 1190.55), abs=0.1)
    assert "红包上缴登记" in reader.pages[0].extract_text() and "匿名" not in reader.pages[0].extract_text()
    [page] = render_pages(response.content, tmp_path, dpi=40)
    chooser = client.get(scanned_path(page))
    assert "心血管内科" in chooser.text and "/handin" in chooser.text and "我要举报" not in chooser.text


def test_the_chinese_font_travels_inside_the_pdf(head_client, deployment):
    pdf = head_client.get("/office/posters/posters.pdf?department=hospital").content
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts, "the page uses a font"
    for font in fonts.values():
        font = font.get_object()
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
        assert str(font["/BaseFont"]).startswith("/") and "+" in str(font["/BaseFont"])  # a subset, not 3 MB


def test_a_forty_character_department_name_wraps_inside_the_page_and_still_scans(
        head_client, client, db, deployment, tmp_path):
    with db.transaction() as session:
        hospital = session.scalar(select(Hospital))
        long = Department(hospital_id=hospital.id, name=LONG_NAME, category=DepartmentCategory.CLINICAL)
        session.add(long)
        session.flush()
        long_id = long.id
    assert len(LONG_NAME) == 40
    pdf = head_client.get(f"/office/posters/posters.pdf?department={long_id}").content
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    # Every character is there, in order, whatever the lines it was wrapped into.
    assert LONG_NAME in "".join(page.extract_text().split())
    [image] = render_pages(pdf, tmp_path)
    assert LONG_NAME in client.get(scanned_path(image)).text


@pytest.mark.parametrize("length", [1, 12, 40, 200])
def test_long_names_shrink_or_wrap_but_never_leave_their_box(length):
    from intake.models import Audience
    from portal.posters.layout import MARGIN, WIDTH, PosterSheet, layout, text_width

    name = ("呼吸与危重症医学科" * 30)[:length]
    sheet = PosterSheet(code="abc234", url="https://example.org/q/abc234", address="example.org/q/abc234",
                        audience=Audience.PATIENT, hospital_name=name, department_name=name, hotline="0771-1",
                        authority_name=name, authority_hotline="0771-2")
    drawn = layout(sheet)
    name_lines = [t for t in drawn.texts if t.text and t.text in name]
    assert "".join(t.text for t in name_lines if 66 <= t.baseline <= 142) == name  # the department, whole
    for text in drawn.texts:
        half = text_width(text.text, text.size, bold=text.bold) / 2
        assert text.x - half >= MARGIN - 0.5 and text.x + half <= WIDTH - MARGIN + 0.5, text.text
    # The department's lines stay inside the red band, above the headline.
    department_lines = [t for t in name_lines if 66 <= t.baseline <= 156]
    assert department_lines and all(t.size >= 7 for t in department_lines)
    assert max(t.baseline for t in department_lines) < 156


def test_the_preview_is_the_first_page_and_scans(head_client, client, small_hospital):
    response = head_client.get("/office/posters/preview.png?audience=patient&size=A4&department=all")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.width == 600
    chooser = client.get(scanned_path(image))
    assert HOSPITAL in chooser.text and 'class="department"' not in chooser.text  # the hospital-wide page


def test_the_print_view_has_one_sheet_per_poster(head_client, small_hospital):
    page = head_client.get("/office/posters/print?audience=staff&size=A3&department=all")
    assert page.status_code == 200
    assert page.text.count('<section class="sheet">') == 1 + len(KEPT)
    assert 'class="poster-print a3"' in page.text
    for name in KEPT:
        assert f">{name}</text>" in page.text


def test_codes_never_change_and_new_departments_get_theirs_at_the_next_print(head_client, db, deployment):
    head_client.get("/office/posters/posters.pdf")
    with db.transaction() as session:
        before = {p.code: p.department_id for p in session.scalars(select(Poster))}
        assert all(p.printed_at is not None for p in session.scalars(select(Poster).where(
            Poster.audience == "patient")))
        hospital = session.scalar(select(Hospital))
        session.add(Department(hospital_id=hospital.id, name="康复医学科", category=DepartmentCategory.CLINICAL))
    listing = head_client.get("/office/posters")
    assert "康复医学科" in listing.text and "打印时生成" in listing.text
    pdf = head_client.get("/office/posters/posters.pdf").content
    assert "康复医学科" in PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    with db.transaction() as session:
        after = {p.code: p.department_id for p in session.scalars(select(Poster))}
    assert before.items() <= after.items() and len(after) == len(before) + 2
    assert "打印时生成" not in head_client.get("/office/posters").text


def test_a_retired_department_is_not_printed_but_listed_with_its_code(head_client, db, deployment, department):
    with db.transaction() as session:
        session.get(Department, department.id).retired_at = utcnow()
    refused = head_client.get(f"/office/posters/posters.pdf?department={department.id}")
    assert refused.status_code == 400 and "已撤并" in refused.text
    listing = head_client.get("/office/posters")
    assert "心血管内科" in listing.text and "已撤并" in listing.text
    pdf = head_client.get("/office/posters/posters.pdf").content
    assert all("心血管内科" not in p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_bad_choices_get_a_clear_message(head_client, deployment):
    bad = (("audience=visitor", "海报类型"), ("size=B5", "A4 或 A3"), ("department=9999", "没有这个科室"))
    for query, message in bad:
        page = head_client.get(f"/office/posters/posters.pdf?{query}")
        assert page.status_code == 400 and message in page.text


def test_posters_are_for_officers_only(client, deployment):
    response = client.get("/office/posters/posters.pdf", follow_redirects=False)
    assert response.status_code in (302, 303) and "/office/login" in response.headers["location"]


def test_a_name_with_a_character_the_font_lacks_is_flagged_before_printing(head_client, db, deployment):
    with db.transaction() as session:
        hospital = session.scalar(select(Hospital))
        session.add(Department(hospital_id=hospital.id, name="𪚥科", category=DepartmentCategory.CLINICAL))
    listing = head_client.get("/office/posters").text
    assert listing.count("打印出来会是方框") == 1  # only the rare name, not the 13 ordinary ones
