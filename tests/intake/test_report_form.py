"""A patient files a report without JavaScript: the server seals it on arrival and shows a receipt once."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import func, select

from intake.db import this_hour
from intake.models import Attachment, Receipt, Submission
from portal.models import AuditEvent
from tests.helpers import csrf_of
from tests.reporting import FULL_REPORT, Reporter, photo_with_gps, poster_code, receipt_on, tiny_pdf


def submission_count(db) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Submission)) or 0)


def only_submission(db) -> Submission:
    with db.transaction() as session:
        rows = session.scalars(select(Submission)).all()
        assert len(rows) == 1
        return rows[0]


def test_the_form_names_the_place_the_nine_categories_and_the_limits(client, db, deployment):
    page = Reporter(client).open_form(poster_code(db))
    assert page.status_code == 200
    assert "示例市第一人民医院" in page.text and "心血管内科" in page.text
    assert len(re.findall(r'name="category" value="', page.text)) == 9
    assert "最多 6 个文件，每个不超过 10 MB，合计不超过 20 MB" in page.text
    assert "示例市卫健委驻委纪检监察组" in page.text  # the escalation choice names the authority
    assert 'action="/report/' in page.text and 'enctype="multipart/form-data"' in page.text


def test_a_report_without_javascript_is_sealed_and_the_office_reads_it(client, db, deployment, head_client):
    page = Reporter(client).file(poster_code(db), {**FULL_REPORT, "real_name": "李四", "contact": "13800000000"})
    assert page.status_code == 200
    receipt = receipt_on(page.text)
    assert re.fullmatch(r"\d{4}( \d{4}){4}", receipt)
    assert "截屏" in page.text and "服务器收到后立即加密" in page.text
    stored = only_submission(db)
    assert stored.office_id == deployment.office.id and not stored.sealed_in_browser
    assert stored.created_hour == this_hour()
    assert FULL_REPORT["what"].encode() not in stored.envelope
    assert b"\xe6\x9d\x8e\xe5\x9b\x9b" not in (stored.identity_envelope or b"")  # 李四
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == 1

    opened = head_client.get(f"/office/submissions/{stored.id}")
    assert FULL_REPORT["what"] in opened.text and "收受“红包”" in opened.text and "现金2000元" in opened.text
    # The identity is sealed apart: not on the page until the officer asks for it, and the asking is logged.
    assert "李四" not in opened.text and "查看实名信息" in opened.text
    shown = head_client.post(f"/office/submissions/{stored.id}/identity", data={"csrf_token": csrf_of(opened.text)})
    assert "李四" in shown.text and "13800000000" in shown.text
    with db.transaction() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target == stored.id)).all()
    assert "open_identity" in actions and "open_submission" in actions


def test_empty_required_fields_are_said_next_to_the_field_and_nothing_typed_is_lost(client, db, deployment):
    page = Reporter(client).file(poster_code(db), {"category": "", "what": "  ", "who": "王某", "amount": "购物卡"})
    assert page.status_code == 400
    assert 'id="error-category"' in page.text and "请选择举报类别。" in page.text
    assert 'id="error-what"' in page.text and "请写下发生了什么。" in page.text
    assert 'value="王某"' in page.text and 'value="购物卡"' in page.text
    assert submission_count(db) == 0


def test_a_file_over_the_limit_says_which_limit_and_keeps_the_rest(client, db, deployment):
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10)
    page = Reporter(client).file(poster_code(db), FULL_REPORT, files=[("big.pdf", big, "application/pdf")])
    assert page.status_code == 400
    assert "单个附件不能超过 10 MB" in page.text and "请重新选择" in page.text
    assert FULL_REPORT["what"] in page.text and 'value="red_envelope" checked' in page.text
    assert submission_count(db) == 0


def test_too_many_files_or_a_wrong_kind_says_so(client, db, deployment):
    reporter = Reporter(client)
    seven = [(f"{i}.pdf", tiny_pdf(str(i)), "application/pdf") for i in range(7)]
    page = reporter.file(poster_code(db), FULL_REPORT, files=seven)
    assert page.status_code == 400 and "附件最多 6 个" in page.text
    page = reporter.file(poster_code(db), FULL_REPORT, files=[("x.exe", b"MZ\x90\x00" * 10, "image/jpeg")])
    assert page.status_code == 400 and "只能上传照片（JPG、PNG、WebP）或 PDF 文件。" in page.text
    assert submission_count(db) == 0


def test_broken_bodies_get_a_clear_4xx_and_nothing_is_stored(client, db, deployment):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    boundary = "XyZ"

    def multipart(parts: list[tuple[str, bytes]]) -> bytes:
        body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value
                        + b"\r\n" for name, value in parts)
        return body + f"--{boundary}--\r\n".encode()

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    bad_utf8 = multipart([("csrf_token", token.encode()), ("category", b"other"), ("what", b"\xff\xfe\xfa")])
    assert client.post(f"/report/{code}", content=bad_utf8, headers=headers).status_code == 400
    many = multipart([("csrf_token", token.encode())] + [(f"f{i}", b"x") for i in range(500)])
    assert client.post(f"/report/{code}", content=many, headers=headers).status_code == 400
    assert client.post(f"/report/{code}", content=b"--XyZ\r\ngarbage", headers=headers).status_code == 400
    not_multipart = client.post(f"/report/{code}", data={"csrf_token": token, "what": "x"})
    assert not_multipart.status_code == 400 and "表单内容不完整" in not_multipart.text
    huge = client.post(f"/report/{code}", content=b"x" * 100, headers={**headers, "content-length": str(61 << 20)})
    assert huge.status_code == 413
    no_token = multipart([("category", b"other"), ("what", b"x")])
    assert client.post(f"/report/{code}", content=no_token, headers=headers).status_code == 403
    assert submission_count(db) == 0


def test_a_photo_loses_its_gps_and_camera_before_sealing(client, db, deployment, head_client):
    photo = photo_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the planted GPS is really there
    Reporter(client).file(poster_code(db), FULL_REPORT, files=[("IMG_20240512_103455.jpg", photo, "image/jpeg"),
                                                               ("scan.pdf", tiny_pdf("病历"), "application/pdf")])
    stored = only_submission(db)
    page = head_client.get(f"/office/submissions/{stored.id}")
    links = re.findall(rf'href="(/office/submissions/{stored.id}/files/[0-9a-f]+)">([^<]+)<', page.text)
    assert [name for _, name in links] == ["附件1.jpg", "附件2.pdf"]  # in order; original names (a date) are not kept
    pdf = head_client.get(links[1][0])
    assert pdf.content == tiny_pdf("病历") and "attachment" in pdf.headers["content-disposition"]
    jpeg = head_client.get(links[0][0])
    assert jpeg.headers["content-type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(jpeg.content))
    assert cleaned.size == (64, 48)
    assert not cleaned.getexif() and b"CANARY-CAMERA" not in jpeg.content and b"Exif" not in jpeg.content
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 2
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target == stored.id)).all()
    assert actions.count("open_attachment") == 2


def test_a_body_cut_short_stores_nothing_even_with_a_valid_token(client, db, deployment):
    code = poster_code(db)
    token = csrf_of(Reporter(client).open_form(code).text)
    body = (f'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--B\r\nContent-Disposition: form-data; name="category"\r\n\r\nother\r\n'
            '--B\r\nContent-Disposition: form-data; name="what"\r\n\r\n收了钱\r\n'
            '--B\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n%PDF-1.4 half a fi').encode()
    response = client.post(f"/report/{code}", content=body, headers={"content-type": "multipart/form-data; boundary=B"})
    assert response.status_code == 400
    assert submission_count(db) == 0


def test_messages_made_in_python_have_english_and_the_form_reads_in_english(client, db, deployment):
    from intake import follow_routes, report_form, report_routes
    from intake.rendering import load_english
    from portal.office import casework

    english = load_english()
    messages = {*report_routes.FILE_MESSAGES.values(), report_routes.IMAGE_UNREADABLE, report_routes.RESELECT,
                follow_routes.WRONG_CODE, follow_routes.ANSWER_EMPTY, report_form.TOO_LONG,
                *report_form.REQUIRED_MESSAGES.values(), *casework.CASE_ERRORS.values()}
    assert sorted(m for m in messages if m not in english) == []
    client.cookies.set("hip_lang", "en")
    page = Reporter(client).open_form(poster_code(db))
    assert "Accepting red envelopes" in page.text and "Send the report" in page.text
