"""Exports: the ledger xlsx holds exactly what the ledger page shows, in the seed's columns; the summary table
counts what was recorded; the quarterly report gathers the quarter; each export is an audit event; LibreOffice
opens every workbook."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from intake.models import Department
from portal.ledger import COLUMNS
from portal.models import AuditEvent
from tests.portal.workbench_support import clue_form, post, store_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SEED_COLUMNS = ("序号", "姓名", "职务", "线索摘要", "线索来源", "受理时间", "处置方式及结果")


def departments(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return {d.name: d.id for d in session.scalars(select(Department))}


def some_clues(db, deployment, department, head_client) -> None:  # type: ignore[no-untyped-def]
    ids = departments(db)
    report = store_report(db, deployment, department, "网上举报")
    forms = [
        clue_form(submission_id=report, department_id=str(ids["心血管内科"]), person_rank="middle",
                  summary="科主任收受红包，金额约五千元", received_on="2025-02-10", status="closed",
                  disposition="talk_inquiry", outcome_form="1", result="诫勉谈话", publicised="1",
                  closed_on="2025-03-01"),
        clue_form(channel="letter", category="kickback", department_id=str(ids["药剂科"]), person="王某",
                  position="药师", summary="收受医药代表回扣", received_on="2025-02-20", status="closed",
                  disposition="verification", further_step="transfer", transfer_to="market", outcome_form="2",
                  result="给予警告处分", administrative_penalty="1", rules_improved="2", closed_on="2025-03-20"),
        clue_form(source="self_found", channel="", category="overtreatment", department_id=str(ids["医务科"]),
                  summary="重复检查", received_on="2025-03-02", status="handling", disposition="hold"),
    ]
    for form in forms:
        assert post(head_client, "/office/clues/new", form).status_code == 303


def screen_rows(page: str) -> list[list[str]]:
    body = page[page.index('<table class="dense ledger"'):]
    body = body[:body.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in rows]


def workbook(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return load_workbook(BytesIO(response.content))


def test_the_ledger_export_matches_the_screen_in_the_seed_columns(db, deployment, department, head_client):
    some_clues(db, deployment, department, head_client)
    shown = screen_rows(head_client.get("/office/clues").text)
    assert len(shown) == 3
    sheet = workbook(head_client.get("/office/exports/ledger.xlsx")).active
    header = [c.value for c in sheet[3]]
    assert tuple(header[:7]) == SEED_COLUMNS and tuple(header) == COLUMNS
    exported = [[str(c.value or "") for c in row] for row in sheet.iter_rows(min_row=4, max_row=6)]
    assert exported == shown
    assert "诫勉谈话" in exported[0][6] and "谈话函询" in exported[0][6] and "第一种形态" in exported[0][6]
    assert exported[1][4] == "信访举报（来信）" and "移送市场监管部门" in exported[1][6]
    assert [r[9] for r in exported] == ["已销号", "已销号", "处置中"]
    assert "填报人" in str(sheet.cell(row=8, column=1).value)
    # Filters apply to both alike.
    only_closed = screen_rows(head_client.get("/office/clues?status=closed").text)
    filtered = workbook(head_client.get("/office/exports/ledger.xlsx?status=closed")).active
    assert [[str(c.value or "") for c in r] for r in filtered.iter_rows(min_row=4, max_row=5)] == only_closed


def test_the_summary_table_counts_people_forms_penalties_notices_and_rules(db, deployment, department, head_client):
    some_clues(db, deployment, department, head_client)
    sheet = workbook(head_client.get("/office/exports/summary.xlsx?since=2025-01-01&until=2025-12-31")).active
    assert [c.value for c in sheet[4]][1:13] == ["职能科室", "临床科室", "医技科室", "合计", "中层人员", "其他", "合计",
                                                "第一种形态", "第二种形态", "第三种形态", "第四种形态", "合计"]
    rows = {r[0].value: [c.value for c in r[1:16]] for r in sheet.iter_rows(min_row=5) if r[1].value is not None}
    #             职能 临床 医技 合计  中层 其他 合计  1  2  3  4  合计  处罚 通报 制度
    assert rows["合计"] == [1, 1, 1, 3, 1, 1, 2, 1, 1, 0, 0, 2, 1, 1, 2]
    assert rows["回扣、带金销售、开单提成"] == [0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 2]
    bad = head_client.get("/office/exports/summary.xlsx?since=2025-02-30")
    assert bad.status_code == 400 and "日期无效" in bad.text


def test_the_quarterly_report_gathers_the_quarter(db, deployment, department, head_client):
    some_clues(db, deployment, department, head_client)
    book = workbook(head_client.get("/office/exports/quarterly.xlsx?year=2025&quarter=1"))
    assert book.sheetnames[:4] == ["概况", "收件情况", "举报", "问题线索"]
    clues = {(r[0].value, r[1].value): r[2].value for r in book["问题线索"].iter_rows(min_row=3)}
    assert clues[("本季度受理线索", None)] == 3 and clues[("本季度销号线索", None)] == 2
    assert clues[("四种形态", "第二种形态")] == 1 and clues[("线索来源", "自行发现")] == 1
    assert head_client.get("/office/exports/quarterly.xlsx?year=2025&quarter=5").status_code == 400


def test_every_export_is_an_audit_event(db, deployment, department, head_client):
    some_clues(db, deployment, department, head_client)
    for url in ("/office/exports/ledger.xlsx", "/office/exports/summary.xlsx",
                "/office/exports/quarterly.xlsx?year=2025&quarter=1"):
        assert head_client.get(url).status_code == 200
    with db.transaction() as session:
        targets = session.scalars(select(AuditEvent.target).where(AuditEvent.action == "export")).all()
    assert targets == ["ledger", "summary", "quarterly"]


@pytest.mark.skipif(not shutil.which("libreoffice"), reason="LibreOffice is not installed")
def test_libreoffice_opens_every_export(db, deployment, department, head_client, tmp_path):
    some_clues(db, deployment, department, head_client)
    names = []
    for name, url in (("ledger", "/office/exports/ledger.xlsx"),
                      ("summary", "/office/exports/summary.xlsx?since=2025-01-01"),
                      ("quarterly", "/office/exports/quarterly.xlsx?year=2025&quarter=1")):
        (tmp_path / f"{name}.xlsx").write_bytes(head_client.get(url).content)
        names.append(str(tmp_path / f"{name}.xlsx"))
    profile = tmp_path / "lo-profile"
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["libreoffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *names], check=True, capture_output=True, timeout=120)
    expected = {"ledger": "线索摘要", "summary": "第四种形态", "quarterly": "问题线索处置情况"}
    for name, words in expected.items():
        pdf = tmp_path / f"{name}.pdf"
        assert pdf.exists() and pdf.stat().st_size > 1000
        shutil.copy(pdf, ARTIFACTS / f"export-{name}.pdf")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
            assert words in text.replace(" ", "")
