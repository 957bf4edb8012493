"""Reading a hospital's department list from CSV or xlsx: (name, category) rows, every bad row reported.

Nothing is written here: the caller imports the list only when no row has an error (all or nothing).
Excel in China saves CSV as GB18030 more often than UTF-8; both are read. Categories may be given in Chinese
(职能 / 临床 / 医技, with or without 科室) or as the stored codes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from intake.models import DepartmentCategory

CATEGORY_WORDS: dict[str, DepartmentCategory] = {
    "职能": DepartmentCategory.FUNCTIONAL, "职能科室": DepartmentCategory.FUNCTIONAL,
    "行政": DepartmentCategory.FUNCTIONAL,
    "临床": DepartmentCategory.CLINICAL, "临床科室": DepartmentCategory.CLINICAL,
    "医技": DepartmentCategory.MEDICAL_TECHNICAL, "医技科室": DepartmentCategory.MEDICAL_TECHNICAL,
    **{c.value: c for c in DepartmentCategory},
}
HEADER_WORDS = {"科室", "科室名称", "名称", "name", "department", "类别", "科室类别", "category"}
MAX_ROWS = 2000
MAX_NAME = 100


@dataclass(frozen=True)
class RowError:
    """One problem, in Chinese with placeholders filled on the page (translated there)."""

    row: int  # 1-based line of the file; 0 for the file as a whole
    message: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DepartmentList:
    rows: list[tuple[str, str]]  # the cells as read (name, category), for showing back to the user
    departments: list[tuple[str, DepartmentCategory]]
    errors: list[RowError]

    def as_text(self) -> str:
        """The list as CSV text, so that a rejected upload can be corrected in the page's text box."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["科室名称", "类别"])
        writer.writerows(self.rows)
        return out.getvalue()


def read_upload(filename: str, data: bytes) -> list[tuple[str, str]] | RowError:
    """The (name, category) cells of an uploaded CSV or xlsx file, or why it cannot be read."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _xlsx_cells(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return csv_cells(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    return RowError(0, "文件无法读取：请上传 UTF-8 或 GBK 编码的 CSV 文件，或 Excel（.xlsx）文件。")


def csv_cells(text: str) -> list[tuple[str, str]]:
    rows = []
    for cells in csv.reader(io.StringIO(text)):
        rows.append((cells[0] if cells else "", cells[1] if len(cells) > 1 else ""))
    return rows


def _xlsx_cells(data: bytes) -> list[tuple[str, str]] | RowError:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return RowError(0, "文件无法读取：请上传 UTF-8 或 GBK 编码的 CSV 文件，或 Excel（.xlsx）文件。")
    sheet = book.worksheets[0]
    rows = []
    for values in sheet.iter_rows(max_col=2, values_only=True):
        cells = [("" if v is None else str(v)) for v in values] + ["", ""]
        rows.append((cells[0], cells[1]))
        if len(rows) > MAX_ROWS + 1:
            break
    book.close()
    return rows


def check(cells: list[tuple[str, str]]) -> DepartmentList:
    """Validate every row: empty or duplicate names and unknown categories are each reported with their line."""
    rows = [(name.strip(), category.strip()) for name, category in cells]
    # Blank lines at the end (Excel leaves them) are not rows.
    while rows and rows[-1] == ("", ""):
        rows.pop()
    start = 1
    if rows and (rows[0][0].lower() in HEADER_WORDS or rows[0][1].lower() in HEADER_WORDS):
        start = 2
    errors: list[RowError] = []
    departments: list[tuple[str, DepartmentCategory]] = []
    seen: dict[str, int] = {}
    body = rows[start - 1:]
    if not body:
        errors.append(RowError(0, "科室名单为空：每行填写一个科室的名称和类别（职能、临床或医技）。"))
    if len(body) > MAX_ROWS:
        errors.append(RowError(0, "科室名单最多 {max} 行。", {"max": str(MAX_ROWS)}))
        body = body[:MAX_ROWS]
    for line, (name, category_text) in enumerate(body, start=start):
        category = CATEGORY_WORDS.get(category_text.replace(" ", "").lower())
        if not name:
            errors.append(RowError(line, "科室名称为空。"))
        elif len(name) > MAX_NAME:
            errors.append(RowError(line, "科室名称过长（最多 {max} 个字）。", {"max": str(MAX_NAME)}))
        elif name in seen:
            errors.append(RowError(line, "科室“{name}”与第 {other} 行重复。", {"name": name,
                                                                        "other": str(seen[name])}))
        if category is None:
            errors.append(RowError(line, "类别“{category}”无法识别，应为 职能、临床 或 医技。",
                                   {"category": category_text}) if category_text else
                          RowError(line, "类别为空，应为 职能、临床 或 医技。"))
        if name and name not in seen:
            seen[name] = line
        if name and category is not None:
            departments.append((name, category))
    return DepartmentList(rows=rows[start - 1:], departments=departments if not errors else [], errors=errors)
