"""The 上缴凭证 as an A4 PDF in Chinese, with an embedded CJK font subset and a QR code to the verification page."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from intake import labels
from intake.workdays import china_text
from portal.pdf_fonts import register_cjk_font

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
ACCENT = colors.HexColor("#8f1d14")
LINE = colors.HexColor("#b8c0c8")


def _time(text: str) -> str:
    """A statement's UTC time (2025-10-08T06:03:27Z) in Beijing time."""
    return china_text(datetime.fromisoformat(text.replace("Z", "+00:00"))) if text else ""


def _amount(statement: dict[str, Any]) -> str:
    amount = statement.get("amount") or ""
    money = f"人民币 {float(amount):,.2f} 元" if amount else ""
    if statement.get("form") in ("cash", "card"):
        return money
    items = f"{statement.get('items', '')} × {statement.get('quantity') or 1}"
    return f"{items}（估价 {money.removeprefix('人民币 ')}）" if money else items


def _timeliness(statement: dict[str, Any]) -> str:
    days, limit = statement.get("working_days", 0), statement.get("deadline_days", 2)
    if statement.get("late"):
        return f"逾期登记（收到后第 {days} 个工作日登记，规定 {limit} 个工作日内）"
    when = "收到当天登记" if days == 0 else f"收到后第 {days} 个工作日登记"
    return f"按期登记（{when}，规定 {limit} 个工作日内）"


def rows(statement: dict[str, Any]) -> list[tuple[str, str]]:
    """The certificate's lines, label and value, in reading order."""
    handling = labels.HANDLING.get(statement.get("handling") or "", "")
    if handling and statement.get("handled_on"):
        handling = f"{handling}（{statement['handled_on']}）"
    lines = [
        ("登记编号", statement["number"]),
        ("登记时间", f"{_time(statement['registered_at'])}（北京时间）"),
        ("收到日期", statement.get("received_on", "")),
        ("登记时限", _timeliness(statement)),
        ("科室", statement.get("department", "")),
        ("形式", labels.GIFT_FORM.get(statement.get("form", ""), "")),
        ("金额 / 物品", _amount(statement)),
        ("确认收到", f"{_time(statement.get('confirmed_at', ''))}（纪检监察室已收到实物）"),
        ("处理方式", handling or "待处理"),
    ]
    if statement.get("slip_number"):
        lines.append(("预交金单据号", statement["slip_number"]))
    lines.append(("状态", labels.HANDIN_STATE.get(statement.get("status", ""), "")))
    return lines


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break Chinese text anywhere, Latin text at the width (signatures, URLs)."""
    lines, current = [], ""
    for char in text:
        if stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = char
        else:
            current += char
    return [*lines, current] if current else lines


def draw_qr(canvas: Canvas, data: str, *, x: float, top: float, size: float) -> None:
    """A QR code as filled rectangles, one per run of dark modules (reportlab's widget takes ~0.3 s)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    canvas.setFillColor(colors.black)
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            canvas.rect(x + start * module, top - (row + 1) * module, (column - start) * module, module,
                        stroke=0, fill=1)


def render_certificate(statement: dict[str, Any], *, signature: bytes, verify_url: str) -> bytes:
    font = register_cjk_font()
    buffer = io.BytesIO()
    width, height = A4
    canvas = Canvas(buffer, pagesize=A4, invariant=True, initialFontName=font)
    canvas.setTitle(f"红包上缴凭证 {statement['number']}")
    canvas.setAuthor(statement.get("office", ""))
    canvas.setSubject("上缴凭证")
    left, right = 22 * mm, width - 22 * mm

    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2)
    canvas.rect(14 * mm, 14 * mm, width - 28 * mm, height - 28 * mm)
    canvas.setFillColor(INK)
    canvas.setFont(font, 13)
    canvas.drawCentredString(width / 2, height - 32 * mm, statement.get("hospital", ""))
    canvas.setFillColor(ACCENT)
    canvas.setFont(font, 26)
    canvas.drawCentredString(width / 2, height - 46 * mm, "红包上缴凭证")
    canvas.setFillColor(MUTED)
    canvas.setFont(font, 10.5)
    canvas.drawCentredString(width / 2, height - 54 * mm, "不知情或不可抗“红包”上缴登记")

    y = height - 70 * mm
    label_width = 32 * mm
    value_width = right - left - label_width - 4 * mm
    for label, value in rows(statement):
        wrapped = _wrap(value, font, 12, value_width) or [""]
        canvas.setFillColor(MUTED)
        canvas.setFont(font, 11)
        canvas.drawString(left, y, label)
        canvas.setFillColor(INK)
        canvas.setFont(font, 12)
        for n, line in enumerate(wrapped):
            canvas.drawString(left + label_width, y - n * 6 * mm, line)
        y -= (len(wrapped) - 1) * 6 * mm
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.5)
        canvas.line(left, y - 3 * mm, right, y - 3 * mm)
        y -= 10 * mm

    qr_size = 46 * mm
    qr_top = y - 4 * mm
    draw_qr(canvas, verify_url, x=left, top=qr_top, size=qr_size)
    text_left = left + qr_size + 6 * mm
    text_width = right - text_left
    canvas.setFillColor(INK)
    canvas.setFont(font, 12)
    canvas.drawString(text_left, qr_top - 8 * mm, "扫码验证真伪")
    canvas.setFillColor(MUTED)
    canvas.setFont(font, 9.5)
    notes = [
        "验证页面只显示“真实有效”及登记时间，不显示任何个人信息。",
        "登记编号或签名被改动，验证即显示“非真实凭证”。",
        "内容如有疑问，请凭登记编号向签发单位核对。",
        f"签发单位：{statement.get('office', '')}",
        f"签发时间：{_time(statement.get('issued_at', ''))}（北京时间）",
    ]
    line_y = qr_top - 15 * mm
    for note in notes:
        for line in _wrap(note, font, 9.5, text_width):
            canvas.drawString(text_left, line_y, line)
            line_y -= 5 * mm

    footer_y = 40 * mm
    canvas.setFont(font, 8)
    canvas.setFillColor(MUTED)
    signature_text = base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")
    for n, line in enumerate(_wrap(f"验证地址：{verify_url}", font, 8, right - left)):
        canvas.drawString(left, footer_y - n * 4 * mm, line)
    footer_y -= 10 * mm
    for n, line in enumerate(_wrap(f"电子签名（Ed25519）：{signature_text}", font, 8, right - left)):
        canvas.drawString(left, footer_y - n * 4 * mm, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
