"""The dashboard's tables as an xlsx workbook, with the same suppression as the page (cells "<10")."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from intake.questionnaire import QUESTIONS
from portal.rating_stats import Dashboard, Line

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="EEF0F3")
SOURCE_NAMES = {"all": "全部", "verified": "核验", "open": "公开"}


def _cell_value(shown: str) -> str | int | float:
    """Numbers stay numbers for the reader's own sums; anything suppressed stays text, exactly as on the page."""
    if shown.endswith("%") and shown[:-1].isdigit():
        return int(shown[:-1]) / 100
    if shown.isdigit():
        return int(shown)
    return shown


def _write_table(sheet, title: str, first: str, lines: list[Line], compare: bool, row: int) -> int:  # type: ignore[no-untyped-def]
    sheet.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
    row += 1
    headings = [first, "评价数", "其中核验", "其中公开"]
    for q in QUESTIONS:
        headings.append(f"{q.short}好评率")
        if compare:
            headings.append(f"{q.short}（全院）")
    for column, text in enumerate(headings, start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in lines:
        row += 1
        values: list[str] = [line.label, line.ratings, line.verified, line.open]
        for i in range(len(QUESTIONS)):
            values.append(line.percents[i])
            if compare:
                values.append(line.compare[i])
        for column, shown in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=_cell_value(shown) if column > 1 else shown)
            if isinstance(cell.value, float):
                cell.number_format = "0%"
            if column > 1:
                cell.alignment = Alignment(horizontal="right")
    return row + 2


def workbook(dashboard: Dashboard, *, hospital_name: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "满意度统计"
    sheet.cell(row=1, column=1, value=f"{hospital_name} 行风满意度评价统计 · {dashboard.scope}").font = Font(
        bold=True, size=14)
    months = f"{dashboard.months[-1]} 至 {dashboard.months[0]}" if dashboard.months else ""
    sheet.cell(row=2, column=1, value=f"期间：{months}；来源：{SOURCE_NAMES[dashboard.source]}；"
                                      "少于 10 条的格子显示为“<10”。")
    sheet.cell(row=3, column=1, value="好评率口径：" + "；".join(f"{q.short}：{q.positive_rule}" for q in QUESTIONS))
    compare = dashboard.department_id is not None
    row = _write_table(sheet, "按月", "月份", [*dashboard.by_month, dashboard.total], compare, 5)
    if dashboard.by_department:
        _write_table(sheet, "各科室（全期间）", "科室", dashboard.by_department, False, row)
    sheet.column_dimensions["A"].width = 16
    for column in range(2, 4 + len(QUESTIONS) * (2 if compare else 1) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    out = BytesIO()
    book.save(out)
    return out.getvalue()
