"""Small helpers that give every exported workbook the same look: a title, bordered header, wrapped cells,
landscape A4 print setup, and the signature line of the seed forms (填报人 / 联系电话 / 审核人)."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FONT = "宋体"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="EEF0F3")
SIGNATURE = "填报人：                    联系电话：                    审核人："
CELL = Sequence[str | int | None]


def new_workbook() -> Workbook:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    return book


def sheet(book: Workbook, name: str, *, widths: Sequence[float]) -> Worksheet:
    ws = book.create_sheet(name[:31])
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    return ws


def title(ws: Worksheet, text: str, *, columns: int, row: int = 1) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    cell = ws.cell(row=row, column=1, value=text)
    cell.font = Font(name=FONT, size=16, bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[row].height = 30


def header_cell(ws: Worksheet, row: int, column: int, value: str | None) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    cell.font = Font(name=FONT, size=11, bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    cell.border = BORDER
    cell.fill = HEADER_FILL


def data_rows(ws: Worksheet, rows: Sequence[CELL], *, start: int, wrap: frozenset[int] = frozenset()) -> int:
    """Write bordered rows from `start`; columns in `wrap` (1-based) wrap and align left. Returns the next row."""
    row_index = start
    for row in rows:
        lines = max([_lines(ws, column, row[column - 1]) for column in wrap if column <= len(row)] or [1])
        if lines > 1:
            # Spreadsheet programs do not grow a row for wrapped text written by openpyxl: size it here.
            ws.row_dimensions[row_index].height = 14 * lines + 4
        for column, value in enumerate(row, start=1):
            cell = ws.cell(row=row_index, column=column, value=value)
            cell.font = Font(name=FONT, size=10)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=column in wrap,
                                       horizontal="left" if column in wrap else "center")
        row_index += 1
    return row_index


def _lines(ws: Worksheet, column: int, value: str | int | None) -> int:
    return wrapped_lines(ws.column_dimensions[get_column_letter(column)].width or 10, value)


def wrapped_lines(width: float, value: str | int | None) -> int:
    """Roughly how many lines a wrapped cell needs: a CJK character is two width units, others one."""
    text = str(value or "")
    units = len(text) + sum(1 for ch in text if ord(ch) > 0x2E80)
    return max(1, -(-units // max(1, int(width) - 1)))


def notes(ws: Worksheet, lines: Sequence[str], *, start: int, columns: int) -> int:
    for offset, line in enumerate(lines):
        ws.merge_cells(start_row=start + offset, start_column=1, end_row=start + offset, end_column=columns)
        cell = ws.cell(row=start + offset, column=1, value=line)
        cell.font = Font(name=FONT, size=10)
        cell.alignment = Alignment(horizontal="left", vertical="center")
    return start + len(lines)


def to_bytes(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
