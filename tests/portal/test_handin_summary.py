"""The summary table of seed 002 attachment 2: by department, on screen and as an xlsx that adds up."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from intake.models import Department
from tests.handin_helpers import register, staff_poster, today

REGISTRATIONS = [
    # department, staff number, form fields
    ("心血管内科", "A1", {"form": "cash", "amount": "2000"}),
    ("心血管内科", "A1", {"form": "card", "amount": "500.50"}),
    ("心血管内科", "Ａ１", {"form": "gift", "amount": "", "items": "茶叶", "quantity": "2"}),  # same person, full-width
    ("骨科", "B7", {"form": "cash", "amount": "10000"}),
    ("骨科", "B8", {"form": "other", "amount": "300", "items": "保健品", "quantity": "3"}),
]


def register_all(client, db):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        ids = {d.name: d.id for d in session.scalars(select(Department))}
    for name, number, fields in REGISTRATIONS:
        register(client, staff_poster(db, ids[name]), staff_number=number, **fields)


def test_the_summary_counts_people_cases_money_and_items_by_department(client, db, deployment, head_client):
    register_all(client, db)
    page = head_client.get("/office/handins/summary", params={"reviewer": "王主任", "phone": "0771-5550100"})
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>"
                      r"<td class=\"num\">([\d.]+)</td><td class=\"num\">(\d+)</td></tr>", page.text)
    assert [r[1:] for r in rows] == [("心血管内科", "1", "3", "0.25005", "2"), ("骨科", "2", "2", "1.0000", "3")]
    total = re.search(r"<th colspan=\"2\">合计</th><th class=\"num\">(\d+)</th><th class=\"num\">(\d+)</th>"
                      r"<th class=\"num\">([\d.]+)</th><th class=\"num\">(\d+)</th>", page.text)
    assert total and total.groups() == ("3", "5", "1.25005", "5")
    assert "王主任" in page.text and "其中 5 件尚待纪检监察室确认收到实物" in page.text


def test_the_xlsx_opens_and_its_totals_equal_the_registrations(client, db, deployment, head_client):
    register_all(client, db)
    response = head_client.get("/office/handins/summary.xlsx", params={
        "from": (today() - timedelta(days=1)).isoformat(), "to": today().isoformat(),
        "filled_by": "李干部", "reviewer": "王主任", "phone": "0771-5550100"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert "主动说明问题情况汇总表" in cells[0][0]
    assert cells[1][:4] == ["序号", "科室名称", "主动说明问题\n（情况）人数", "主动说明问题\n（情况）个数"]
    body = [row for row in cells[3:] if isinstance(row[0], int)]
    total = next(row for row in cells if row[0] == "合计")
    assert [row[1] for row in body] == ["心血管内科", "骨科"]
    assert total[3] == sum(row[3] for row in body) == len(REGISTRATIONS)
    money = sum(Decimal(f["amount"]) for _, _, f in REGISTRATIONS if f["form"] in ("cash", "card"))
    assert Decimal(str(total[4])) == money / 10000 == Decimal(str(round(sum(row[4] for row in body), 6)))
    items = sum(int(f.get("quantity", 0)) for _, _, f in REGISTRATIONS if f["form"] in ("gift", "other"))
    assert total[5] == items == sum(row[5] for row in body)
    assert total[2] == len({(n.replace("Ａ１", "A1")) for _, n, _ in REGISTRATIONS})
    footer = " ".join(str(v) for row in cells for v in row if v)
    assert "填报人：李干部" in footer and "审核人：王主任" in footer and "联系电话：0771-5550100" in footer


def test_a_range_without_registrations_is_an_empty_table_with_zero_totals(client, db, deployment, head_client):
    register_all(client, db)
    page = head_client.get("/office/handins/summary", params={"from": "2020-01-01", "to": "2020-12-31"})
    assert "该时间段内没有登记" in page.text
    sheet = openpyxl.load_workbook(io.BytesIO(head_client.get(
        "/office/handins/summary.xlsx", params={"from": "2020-01-01", "to": "2020-12-31"}).content)).active
    total = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "合计")
    assert total[2:] == (0, 0, 0, 0)


def test_a_bad_date_is_said_and_the_summary_still_shows(client, db, deployment, head_client):
    page = head_client.get("/office/handins/summary", params={"from": "2025-13-40"})
    assert page.status_code == 200 and "日期格式为 年-月-日" in page.text
