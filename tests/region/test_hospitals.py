"""The authority's administrator adds hospitals: all or nothing, every bad row named, credentials shown once."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from intake.models import Department, Hospital, Office, Poster
from portal.models import Officer, Role
from tests.helpers import OfficerActions, csrf_of
from tests.region.support import authority_officer, login


def _admin(app, db, settings, deployment):  # type: ignore[no-untyped-def]
    admin = authority_officer(db, settings, deployment, "it-admin", role=Role.ADMIN)
    return login(app, db, "it-admin", admin.totp_secret)


def _submit(client, *, file: tuple[str, bytes, str] | None = None, code: str = "city2",  # type: ignore[no-untyped-def]
            departments: str = ""):
    token = csrf_of(client.get("/office/hospitals/new").text)
    data = {"csrf_token": token, "name": "示例市第二人民医院", "code": code, "hotline": "0771-5550200",
            "head_username": "zhao", "head_name": "赵主任", "departments": departments}
    return client.post("/office/hospitals", data=data, files={"file": file} if file else None)


def _counts(db) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(t)) or 0)  # type: ignore[return-value]
                     for t in (Hospital, Department, Office, Officer))


def test_administrator_adds_a_hospital_from_a_gbk_csv_and_its_head_logs_in(app, db, settings, deployment):
    client = _admin(app, db, settings, deployment)
    csv_text = "科室名称,类别\n院办,职能\n骨科,临床科室\n检验科,医技\n儿科,clinical\n"
    page = _submit(client, file=("科室.csv", csv_text.encode("gb18030"), "text/csv"))
    assert page.status_code == 200, page.text
    recovery = re.search(r'id="recovery-code">([^<]+)<', page.text).group(1)
    password = re.search(r'id="initial-password">([^<]+)<', page.text).group(1)
    totp = re.search(r'id="totp-secret">([^<]+)<', page.text).group(1)
    assert len(recovery.replace("-", "")) == 40
    with db.transaction() as session:
        hospital = session.scalar(select(Hospital).where(Hospital.code == "city2"))
        names = {(d.name, d.category.value) for d in hospital.departments}
        office = session.scalar(select(Office).where(Office.hospital_id == hospital.id))
        posters = session.scalar(select(func.count()).select_from(Poster).where(Poster.hospital_id == hospital.id))
        head = session.scalar(select(Officer).where(Officer.username == "zhao"))
        assert head.office_id == office.id and head.role is Role.HEAD
    assert names == {("院办", "functional"), ("骨科", "clinical"), ("检验科", "medtech"), ("儿科", "clinical")}
    assert posters == 2 * (1 + 4)
    # The head logs in with what the page showed once, and holds the new office's key.
    head_client = login(app, db, "zhao", totp, password=password)
    assert head_client.get("/office/work").status_code == 200
    # The list shows it; the page with the secrets is gone for good (nothing stored in the clear).
    listing = client.get("/office/hospitals").text
    assert "示例市第二人民医院" in listing and password not in listing and recovery not in listing


def test_xlsx_list_is_accepted(app, db, settings, deployment):
    client = _admin(app, db, settings, deployment)
    book = Workbook()
    sheet = book.active
    for row in (("科室", "类别"), ("放射科", "医技科室"), ("财务科", "职能"), (None, None)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    page = _submit(client, file=("depts.xlsx", buffer.getvalue(), "application/octet-stream"))
    assert page.status_code == 200, page.text
    with db.transaction() as session:
        hospital = session.scalar(select(Hospital).where(Hospital.code == "city2"))
        assert sorted(d.name for d in hospital.departments) == sorted(["放射科", "财务科"])


def test_a_bad_list_imports_nothing_and_names_every_row(app, db, settings, deployment):
    client = _admin(app, db, settings, deployment)
    before = _counts(db)
    csv_text = "科室名称,类别\n骨科,临床\n,职能\n骨科,临床\n药剂科,行政后勤\n检验科,\n"
    page = _submit(client, file=("list.csv", csv_text.encode("utf-8"), "text/csv"), code="demo")
    assert page.status_code == 400
    text = page.text
    assert "未导入任何内容" in text
    assert "简称代码“demo”已被其他医院使用" in text
    assert "第 3 行：科室名称为空。" in text
    assert "第 4 行：科室“骨科”与第 2 行重复。" in text
    assert "第 5 行：类别“行政后勤”无法识别" in text
    assert "第 6 行：类别为空" in text
    assert _counts(db) == before
    # What was typed and read is still there, to be corrected on the page.
    assert 'value="示例市第二人民医院"' in text and 'value="zhao"' in text
    assert "药剂科,行政后勤" in text
    # Corrected in the text box, it goes through.
    fixed = "科室名称,类别\n骨科,临床\n院办,职能\n药剂科,医技\n"
    assert _submit(client, code="city2", departments=fixed).status_code == 200
    assert _counts(db)[0] == before[0] + 1


def test_an_unreadable_file_is_refused_with_a_message(app, db, settings, deployment):
    client = _admin(app, db, settings, deployment)
    page = _submit(client, file=("list.xlsx", b"PK\x03\x04 not really a workbook", "application/octet-stream"))
    assert page.status_code == 400 and "文件无法读取" in page.text


def test_only_the_authority_administrator_adds_hospitals(app, db, settings, deployment, head_client):
    assert head_client.get("/office/hospitals").status_code == 403
    assert head_client.get("/office/hospitals/new").status_code == 403
    token = csrf_of(head_client.get("/office/password").text)
    refused = head_client.post("/office/hospitals", data={"csrf_token": token, "name": "x", "code": "xx"})
    assert refused.status_code == 403
    chief = authority_officer(db, settings, deployment, "chief")
    authority_head = login(app, db, "chief", chief.totp_secret)
    assert authority_head.get("/office/hospitals").status_code == 403
    assert OfficerActions(authority_head, db).client.get("/office/region").status_code == 200
