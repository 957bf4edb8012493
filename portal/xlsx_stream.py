"""A long table as an xlsx workbook, written as a stream of XML into a zip in memory.

openpyxl builds a Python object per cell and takes about a minute for 100,000 ledger rows; this writes the same
look (title, bordered header, wrapped columns, frozen header, landscape A4, the seed's signature line) at a few
microseconds a cell. Only what one styled table needs: one sheet, text cells, six cell styles.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from io import BytesIO
from itertools import islice

from openpyxl.utils import get_column_letter

from portal.xlsx import FONT, wrapped_lines

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_CHUNK = 500  # rows encoded and compressed at a time

# Cell styles (cellXfs): 0 plain, 1 title, 2 header, 3 data centred, 4 data wrapped left, 5 note.
PLAIN, TITLE, HEADER, CENTRED, WRAPPED, NOTE = range(6)
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="4"><font><sz val="11"/><name val="{FONT}"/></font><font><b/><sz val="11"/><name val="{FONT}"/></font>\
<font><b/><sz val="16"/><name val="{FONT}"/></font><font><sz val="10"/><name val="{FONT}"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFEEF0F3"/><bgColor indexed="64"/></patternFill></fill>\
</fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left style="thin"><color rgb="FF000000"/></left><right style="thin"><color rgb="FF000000"/></right>\
<top style="thin"><color rgb="FF000000"/></top><bottom style="thin"><color rgb="FF000000"/></bottom>\
<diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">\
<alignment horizontal="center" vertical="center"/></xf>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" \
applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="3" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1">\
<alignment horizontal="center" vertical="center"/></xf>\
<xf numFmtId="0" fontId="3" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1">\
<alignment horizontal="left" vertical="center" wrapText="1"/></xf>\
<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">\
<alignment horizontal="left" vertical="center"/></xf></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="{_SHEETML}.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEETML}.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="{_SHEETML}.styles+xml"/>\
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""


def _escape(value: str) -> str:
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(ref: str, style: int, value: str) -> str:
    if not value:
        return f'<c r="{ref}" s="{style}"/>'
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'


def _row(number: int, cells: str, height: float | None = None) -> str:
    size = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{number}"{size}>{cells}</row>'


def _workbook(sheet: str, header_row: int) -> str:
    quoted = "'" + _escape(sheet).replace("'", "''") + "'"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{_escape(sheet)}" sheetId="1" r:id="rId1"/></sheets>'
            f'<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
            f'{quoted}!${header_row}:${header_row}</definedName></definedNames></workbook>')


def long_table(*, sheet: str, title: str, subtitle: str, columns: Sequence[str], widths: Sequence[float],
               rows: Iterable[Sequence[str]], wrap: frozenset[int], notes: Sequence[str]) -> tuple[bytes, int]:
    """A titled, bordered table with the header frozen and repeated on every printed page; returns the workbook
    and how many rows it holds. `wrap` holds the 1-based columns that wrap (the others are centred)."""
    letters = [get_column_letter(n) for n in range(1, len(columns) + 1)]
    last = letters[-1]
    wrapped = [(n - 1, widths[n - 1]) for n in sorted(wrap)]
    styles = [WRAPPED if n in wrap else CENTRED for n in range(1, len(columns) + 1)]
    buffer = BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet, 3))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w") as out:
            cols = "".join(f'<col min="{n}" max="{n}" width="{w:g}" customWidth="1"/>'
                           for n, w in enumerate(widths, start=1))
            header = "".join(_cell(f"{letter}3", HEADER, name) for letter, name in zip(letters, columns, strict=True))
            out.write((
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A4" sqref="A4"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                + _row(1, _cell("A1", TITLE, title), 30) + _row(2, _cell("A2", PLAIN, subtitle)) + _row(3, header)
            ).encode("utf-8"))
            number = 4
            source = iter(rows)
            while chunk := list(islice(source, _CHUNK)):
                parts = []
                for values in chunk:
                    lines = max([wrapped_lines(width, values[index]) for index, width in wrapped] or [1])
                    cells = "".join(_cell(f"{letter}{number}", style, value)
                                    for letter, style, value in zip(letters, styles, values, strict=True))
                    parts.append(_row(number, cells, 14 * lines + 4 if lines > 1 else None))
                    number += 1
                out.write("".join(parts).encode("utf-8"))
                count += len(chunk)
            merges = [f"A1:{last}1"]
            tail = []
            number += 1  # a blank row before the notes, as on the other forms
            for line in notes:
                tail.append(_row(number, _cell(f"A{number}", NOTE, line)))
                merges.append(f"A{number}:{last}{number}")
                number += 1
            out.write((
                "".join(tail) + "</sheetData>"
                f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
                + '</mergeCells><printOptions horizontalCentered="1"/>'
                '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
                '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>'
            ).encode("utf-8"))
    return buffer.getvalue(), count
