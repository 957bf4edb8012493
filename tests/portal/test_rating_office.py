"""The office's side of ratings: one-time codes, the dashboard and its export with small cells suppressed,
and the alerts raised by the rollup."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from intake.models import Submission
from intake.rating_models import Rating, RatingCode
from tests.helpers import csrf_of
from tests.rating_helpers import GOOD, POOR, department_id, patient_poster, store_rating


def issue_codes(head_client, size: int = 5) -> list[str]:  # type: ignore[no-untyped-def]
    token = csrf_of(head_client.get("/office/ratings/codes").text)
    made = head_client.post("/office/ratings/codes", data={"csrf_token": token, "label": "出院结算 12月",
                                                         "size": str(size), "department": ""},
                            follow_redirects=False)
    assert made.status_code == 303
    sheet = head_client.get(made.headers["location"])
    assert sheet.status_code == 200 and "出院结算 12月" in sheet.text
    download = head_client.get(made.headers["location"].replace("/sheet", "/codes.csv"))
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [r["评价码"] in sheet.text for r in rows] == [True] * size
    return [r["评价码"] for r in rows]


def rate(client, poster: str, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/q/{poster}/rate").text)
    return client.post(f"/q/{poster}/rate", data={"csrf_token": token, **fields}, follow_redirects=False)


def test_a_code_is_accepted_once_and_a_used_or_unknown_code_is_refused_clearly(head_client, db, deployment):
    codes = issue_codes(head_client)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RatingCode)) == 5
        hashes = session.scalars(select(RatingCode.code_hash)).all()
    assert all(c.replace(" ", "").encode() not in h for c in codes for h in hashes)
    poster = patient_poster(db, "骨科")

    # Typed the way people type: no spaces, full-width digits.
    typed = codes[0].replace(" ", "").translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert rate(head_client, poster, **GOOD, code=typed).status_code == 303
    replayed = rate(head_client, poster, **GOOD, code=codes[0], comment="第二次")
    unknown = rate(head_client, poster, **GOOD, code="1234 5678 9012")
    malformed = rate(head_client, poster, **GOOD, code="12ab")
    for refused in (replayed, unknown):
        assert refused.status_code == 400 and "评价码无效或已使用" in refused.text
    assert malformed.status_code == 400 and "12 位数字" in malformed.text
    assert "第二次" in replayed.text  # nothing typed is lost

    with db.transaction() as session:
        assert session.scalars(select(Rating.verified)).all() == [True]
        assert session.scalar(select(func.count()).select_from(RatingCode)) == 4
    assert "已使用" in head_client.get("/office/ratings/codes").text


def test_a_voided_batch_stops_working(head_client, db, deployment):
    codes = issue_codes(head_client, size=2)
    page = head_client.get("/office/ratings/codes")
    batch = re.search(r'action="/office/ratings/codes/(\d+)/void"', page.text).group(1)
    head_client.post(f"/office/ratings/codes/{batch}/void", data={"csrf_token": csrf_of(page.text)})
    assert rate(head_client, patient_poster(db, "骨科"), **GOOD, code=codes[1]).status_code == 400
    assert "已作废" in head_client.get("/office/ratings/codes").text


def test_a_batch_with_a_bad_size_is_refused_with_the_form_kept(head_client, deployment):
    token = csrf_of(head_client.get("/office/ratings/codes").text)
    for size in ("0", "abc", "5000"):
        answer = head_client.post("/office/ratings/codes", data={"csrf_token": token, "label": "门诊",
                                                               "size": size, "department": ""})
        assert answer.status_code == 400 and 'value="门诊"' in answer.text


def roll_up_through_the_page(head_client) -> None:  # type: ignore[no-untyped-def]
    page = head_client.get("/office/ratings")
    while "尚未计入统计" in page.text:
        head_client.post("/office/ratings/rollup", data={"csrf_token": csrf_of(page.text)})
        page = head_client.get("/office/ratings")


def cells_of(html: str, label: str) -> list[str]:
    row = re.search(rf"<tr[^>]*>\s*<th>(?:<a[^>]*>)?{re.escape(label)}(?:</a>)?</th>(.*?)</tr>", html, re.S)
    assert row, f"no row {label}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_the_dashboard_shows_counts_and_suppresses_small_cells_in_the_page_and_the_export(head_client, db,
                                                                                          deployment):
    bone, children = department_id(db, "骨科"), department_id(db, "儿科")
    for i in range(12):
        store_rating(db, deployment, department=bone, answers=POOR if i < 3 else GOOD, verified=i < 10)
    for _ in range(4):
        store_rating(db, deployment, department=children, answers=GOOD)
    roll_up_through_the_page(head_client)

    page = head_client.get("/office/ratings").text
    bone_row = cells_of(page, "骨科")
    assert bone_row[:3] == ["12", "≥10", "&lt;10"]  # 10 verified, 2 open: the open part cannot be subtracted out
    assert bone_row[3] == "75%"  # 9 of 12 said 很好/较好
    assert cells_of(page, "儿科") == ["&lt;10", "—", "&lt;10"] + ["&lt;10"] * 7  # 4 open, none verified
    assert "&lt;10" in page and "少于 10 条" in page

    dept_page = head_client.get(f"/office/ratings?dept={children}").text
    assert "&lt;10" in dept_page and "100%" not in dept_page  # 4 ratings: never a percentage

    export = head_client.get("/office/ratings/export.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r and r[0] in ("骨科", "儿科")}
    assert rows["骨科"][:4] == (12, "≥10", "<10", 0.75)
    assert rows["儿科"][:4] == ("<10", "—", "<10", "<10") and set(rows["儿科"][3:10]) == {"<10"}


def test_bad_dashboard_filters_are_a_clear_400(head_client, deployment):
    for query in ("dept=abc", "dept=99999", "source=x", "to=2026-13", "span=7"):
        answer = head_client.get(f"/office/ratings?{query}")
        assert answer.status_code == 400 and "提交的内容无法处理" in answer.text


def test_statistics_need_a_logged_in_officer(client, deployment):
    assert client.get("/office/ratings", follow_redirects=False).headers["location"] == "/office/login"
    assert client.get("/office/ratings/export.xlsx", follow_redirects=False).status_code == 303


def test_an_alert_shows_with_its_answers_and_leaves_the_count_when_handled(head_client, db, deployment):
    store_rating(db, deployment, department=department_id(db, "骨科"), answers={**GOOD, "red_envelope": "yes"},
                 comment="护士长暗示要红包")
    store_rating(db, deployment, department=None, answers=GOOD)
    roll_up_through_the_page(head_client)
    nav = head_client.get("/office/").text
    assert re.search(r'评价线索 <span class="count">1</span>', nav)
    alerts = head_client.get("/office/ratings/alerts").text
    assert "护士长暗示要红包" in alerts and "暗示或索要红包" in alerts and "骨科" in alerts
    alert_id = re.search(r"/office/ratings/alerts/(\w+)/handled", alerts).group(1)
    head_client.post(f"/office/ratings/alerts/{alert_id}/handled", data={"csrf_token": csrf_of(alerts)})
    assert 'class="count"' not in head_client.get("/office/").text
    assert "护士长暗示要红包" in head_client.get("/office/ratings/alerts?status=handled").text
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 2
