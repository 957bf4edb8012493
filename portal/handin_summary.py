"""主动说明问题情况汇总表 (seed 002, attachment 2): hand-ins by department for a date range, on screen and as xlsx.

Amounts and staff numbers are sealed, so the summary is computed in an officer's session: each registration in
the range is opened in memory (hundreds of rows take milliseconds) and one audit event records the whole.
"""

from __future__ import annotations

import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.handin_models import GiftForm, HandIn
from intake.models import Department, Hospital, Office, Submission
from intake.sealing import decode_payload, submission_context
from intake.workdays import CHINA
from portal import audit
from portal.auth import CurrentOfficer

TEN_THOUSAND = Decimal(10000)
MONEY_FORMS = (GiftForm.CASH, GiftForm.SHOPPING_CARD)


@dataclass(frozen=True)
class SummaryRow:
    department: str
    people: int  # 主动说明问题（情况）人数: distinct staff numbers
    cases: int  # 个数: registrations
    money_yuan: Decimal  # cash and shopping cards, face value
    items: int  # 财物（数量）: gifts and other items

    @property
    def money_wan(self) -> Decimal:
        """Exact: 万元 to the fen is six decimals."""
        return self.money_yuan / TEN_THOUSAND

    @property
    def money_wan_text(self) -> str:
        """Four decimals (to the yuan) as filings show it, more only when fen need them."""
        whole, fraction = f"{self.money_wan:.6f}".split(".")
        return f"{whole}.{fraction.rstrip('0').ljust(4, '0')}"


@dataclass(frozen=True)
class Summary:
    hospital: str
    office: str
    start: date
    end: date
    rows: list[SummaryRow]
    total: SummaryRow
    unconfirmed: int  # registrations whose envelope the office has not yet confirmed


def _staff_key(fields: dict[str, object]) -> str:
    """One person, however the number was typed (full-width digits, spaces, case)."""
    number = unicodedata.normalize("NFKC", str(fields.get("staff_number", ""))).strip().upper().replace(" ", "")
    return number or f"name:{fields.get('staff_name', '')}"


def summarize(session: Session, *, officer: CurrentOfficer, start: date, end: date) -> Summary:
    """Open every hand-in registered (Beijing date) from start to end inclusive and count it by department."""
    begin = datetime.combine(start, time.min, tzinfo=CHINA)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=CHINA)
    found = session.execute(
        select(HandIn, Submission, Department)
        .join(Submission, Submission.id == HandIn.submission_id)
        .outerjoin(Department, Department.id == Submission.department_id)
        .where(Submission.office_id == officer.office_id, HandIn.registered_at >= begin,
               HandIn.registered_at < until)
        .order_by(Department.id, HandIn.registered_at)
    ).all()
    people: dict[str, set[str]] = defaultdict(set)
    cases: dict[str, int] = defaultdict(int)
    money: dict[str, Decimal] = defaultdict(Decimal)
    items: dict[str, int] = defaultdict(int)
    order: list[str] = []
    unconfirmed = 0
    for handin, submission, department in found:
        name = department.name if department else "未指定科室"
        if name not in cases:
            order.append(name)
        fields = decode_payload(officer.keyring.open(
            submission.envelope,
            associated_data=submission_context(kind=submission.kind, hospital_id=submission.hospital_id,
                                               department_id=submission.department_id),
        )).get("fields", {})
        people[name].add(_staff_key(fields))
        cases[name] += 1
        if handin.form in MONEY_FORMS:
            money[name] += Decimal(fields.get("amount") or "0")
        else:
            items[name] += int(fields.get("quantity") or 0)
        unconfirmed += handin.state.value == "registered"
    rows = [SummaryRow(department=name, people=len(people[name]), cases=cases[name], money_yuan=money[name],
                       items=items[name]) for name in order]
    everyone = set().union(*people.values()) if people else set()
    total = SummaryRow(department="合计", people=len(everyone), cases=sum(cases.values()),
                       money_yuan=sum(money.values(), Decimal(0)), items=sum(items.values()))
    office = session.get(Office, officer.office_id)
    hospital = session.get(Hospital, office.hospital_id) if office and office.hospital_id else None
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="handin_summary",
                 details={"from": start.isoformat(), "to": end.isoformat(), "registrations": total.cases})
    return Summary(hospital=hospital.name if hospital else (office.name if office else ""),
                   office=office.name if office else "", start=start, end=end, rows=rows, total=total,
                   unconfirmed=unconfirmed)


@dataclass(frozen=True)
class Signatories:
    filled_by: str = ""
    reviewer: str = ""
    phone: str = ""


HEADERS = ("序号", "科室名称", "主动说明问题\n（情况）人数", "主动说明问题\n（情况）个数",
           "主动上交钱款（金额，单位：万元）／财物（数量）")


def to_xlsx(summary: Summary, signatories: Signatories) -> bytes:
    """The table as the seed lays it out, ready to file upwards."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "主动说明问题情况汇总表"
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    sheet.merge_cells("A1:F1")
    sheet["A1"] = f"{summary.hospital}有关人员主动说明问题情况汇总表"
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = centre
    sheet.row_dimensions[1].height = 30
    for column, title in zip("ABCD", HEADERS[:4], strict=True):
        sheet.merge_cells(f"{column}2:{column}3")
        sheet[f"{column}2"] = title
    sheet.merge_cells("E2:F2")
    sheet["E2"] = HEADERS[4]
    sheet["E3"] = "钱款（万元）"
    sheet["F3"] = "财物（数量）"
    for row in sheet["A2:F3"]:
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = centre
            cell.border = box
    sheet.row_dimensions[2].height = 36

    line = 4
    for n, item in enumerate([*summary.rows, summary.total], start=1):
        is_total = item is summary.total
        values = ("合计" if is_total else n, "" if is_total else item.department, item.people, item.cases,
                  float(item.money_wan), item.items)
        for column, value in zip("ABCDEF", values, strict=True):
            cell = sheet[f"{column}{line}"]
            cell.value = value
            cell.border = box
            cell.alignment = centre if column != "B" else Alignment(vertical="center")
            if is_total:
                cell.font = Font(bold=True)
        sheet[f"E{line}"].number_format = "0.0000##"
        line += 1
    if summary.rows:
        sheet.merge_cells(f"A{line - 1}:B{line - 1}")

    line += 1
    sheet[f"A{line}"] = (f"填报人：{signatories.filled_by}　　　联系电话：{signatories.phone}　　　"
                         f"审核人：{signatories.reviewer}")
    sheet.merge_cells(f"A{line}:F{line}")
    sheet[f"A{line + 1}"] = (f"说明：统计口径为 {summary.start.isoformat()} 至 {summary.end.isoformat()} "
                             "登记的累计数据；钱款含现金与购物卡面额，财物为礼品及其他物品的件数。")
    sheet.merge_cells(f"A{line + 1}:F{line + 1}")
    sheet[f"A{line + 1}"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[line + 1].height = 32
    for column, width in zip("ABCDEF", (8, 24, 16, 16, 18, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
