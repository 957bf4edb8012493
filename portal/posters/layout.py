"""What a poster shows and where: one layout in A4 points, drawn by the PDF, PNG and print-view backends alike.

A3 is the same layout scaled by √2, so both sizes look the same, only larger. Text that could be long (hospital,
department, authority) is fitted into a fixed box: it shrinks, then wraps, and never leaves its box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from reportlab.lib.pagesizes import A3, A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth

from intake.models import Audience
from portal.pdf_fonts import register_cjk_font

WIDTH, HEIGHT = A4  # points; every coordinate below is in A4 points, origin top left, y downwards
MARGIN = 36.0
SIZES: dict[str, tuple[float, float]] = {"A4": A4, "A3": A3}
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks

RED = "#8f1d14"
INK = "#1f2933"
MUTED = "#52606d"
PALE_RED = "#fbeae8"
WHITE = "#ffffff"

PROMISE_PATIENT = "匿名 · 加密 · 仅纪委可见"
# Hand-ins are not anonymous (the registration time is the staff member's proof), so the staff poster does not say so.
PROMISE_STAFF = "加密 · 仅纪委可见 · 登记时间可证明"
NOTICE = "医务人员不收“红包” · 患者不送“红包”"


@dataclass(frozen=True)
class PosterSheet:
    """Everything one printed page says."""

    code: str
    url: str  # what the QR code holds
    address: str  # the same, typed for those who cannot scan
    audience: Audience
    hospital_name: str
    department_name: str | None  # None: the hospital-wide poster
    hotline: str
    authority_name: str
    authority_hotline: str


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str
    radius: float = 0.0


@dataclass(frozen=True)
class Text:
    x: float  # the anchor: left edge, or centre when centred
    baseline: float
    text: str
    size: float
    color: str
    bold: bool = False
    align: Literal["left", "centre"] = "centre"


@dataclass(frozen=True)
class QrCode:
    x: float
    y: float
    size: float  # the whole square, quiet zone included
    modules: tuple[tuple[bool, ...], ...]  # quiet zone included


@dataclass(frozen=True)
class Layout:
    boxes: tuple[Box, ...]
    qr: QrCode
    texts: tuple[Text, ...]


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    width = float(stringWidth(text, register_cjk_font(), size))
    return width + (size * 0.05 if bold else 0.0)  # the stroke that makes fake bold widens each side a little


def font_covers(text: str) -> bool:
    """Whether the embedded font has every character of `text` (a missing one would print as a box)."""
    charmap: dict[int, int] = pdfmetrics.getFont(register_cjk_font()).face.charToGlyph
    return all(ord(char) in charmap or char.isspace() for char in text)


def _wrap(text: str, size: float, width: float, *, bold: bool) -> list[str]:
    """Greedy wrap by character (Chinese has no spaces); closing punctuation never starts a line."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and text_width(current + char, size, bold=bold) > width and char not in "）)】」』，。、；：！？·":
            lines.append(current.rstrip())
            current = char.lstrip()
        else:
            current += char
    if current:
        lines.append(current)
    return lines


def fit_text(text: str, *, width: float, height: float, max_size: float, bold: bool = False,
             leading: float = 1.18) -> tuple[float, list[str]]:
    """The largest size (and its lines) at which `text` fits the box; one line is preferred while it stays large."""
    text = " ".join(text.split())
    size = max_size
    while size > 4:
        if text_width(text, size, bold=bold) <= width and size * leading <= height:
            return size, [text]
        # Wrap only once a single line would have to shrink below 70 % of the maximum: large beats one line.
        if size < max_size * 0.7:
            lines = _wrap(text, size, width, bold=bold)
            if len(lines) * size * leading <= height and all(text_width(x, size, bold=bold) <= width for x in lines):
                return size, lines
        size -= 0.5
    return 4.0, _wrap(text, 4.0, width, bold=bold)


def _text_block(text: str, *, top: float, width: float, height: float, max_size: float, color: str,
                bold: bool = False, x: float = WIDTH / 2, align: Literal["left", "centre"] = "centre",
                ) -> list[Text]:
    """Fitted lines, centred vertically in the box that starts at `top`."""
    size, lines = fit_text(text, width=width, height=height, max_size=max_size, bold=bold)
    line_height = size * 1.18
    first = top + (height - line_height * len(lines)) / 2 + size * 0.92
    return [Text(x, first + i * line_height, line, size, color, bold, align) for i, line in enumerate(lines)]


def qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code of `url`, error correction Q (a poster gets scuffed), with its quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def layout(sheet: PosterSheet) -> Layout:
    """Place everything the sheet says on an A4 page."""
    inner = WIDTH - 2 * MARGIN
    patient = sheet.audience is Audience.PATIENT
    boxes = [Box(0, 0, WIDTH, 156, RED)]
    texts = [
        *_text_block(sheet.hospital_name, top=22, width=inner, height=40, max_size=26, color=WHITE, bold=True),
        *_text_block(sheet.department_name or "全院通用", top=66, width=inner, height=76, max_size=46,
                     color=WHITE, bold=True),
    ]
    headline = "扫码 举报 · 评价 · 查询" if patient else "医务人员 红包上缴登记"
    texts.append(Text(WIDTH / 2, 200, headline, 30, INK, bold=True))

    qr_size = 290.0
    qr = QrCode((WIDTH - qr_size) / 2, 216, qr_size, qr_modules(sheet.url))
    texts.append(Text(WIDTH / 2, 528, "无法扫码？请在手机浏览器输入：", 13, MUTED))
    texts.extend(_text_block(sheet.address, top=534, width=inner, height=32, max_size=22, color=INK, bold=True))

    kinds = (
        [("举报", "红包、回扣、索要财物等"), ("评价", "就医行风满意度，约1分钟"), ("查询", "凭查询码看回复")]
        if patient else
        [("上缴登记", "收到无法拒绝的红包，2个工作日内登记"), ("查询", "凭查询码看办理、取凭证")]
    )
    gap = 12.0
    tile = (inner - gap * (len(kinds) - 1)) / len(kinds)
    for i, (title, description) in enumerate(kinds):
        left = MARGIN + i * (tile + gap)
        boxes.append(Box(left, 580, tile, 84, PALE_RED, radius=8))
        texts.append(Text(left + tile / 2, 614, title, 24, RED, bold=True))
        texts.extend(_text_block(description, top=626, width=tile - 16, height=30, max_size=12.5, color=INK,
                                 x=left + tile / 2))

    texts.append(Text(WIDTH / 2, 706, PROMISE_PATIENT if patient else PROMISE_STAFF, 24, RED, bold=True))
    boxes.append(Box(MARGIN, 722, inner, 40, RED, radius=6))
    texts.append(Text(WIDTH / 2, 749, NOTICE, 19, WHITE, bold=True))

    if sheet.hotline:
        texts.extend(_text_block(f"本院纪检监察室电话：{sheet.hotline}", top=770, width=inner, height=24,
                                 max_size=16, color=INK, bold=True))
    if sheet.authority_name:
        authority = f"上级监督：{sheet.authority_name}"
        if sheet.authority_hotline:
            authority += f"　电话：{sheet.authority_hotline}"
        texts.extend(_text_block(authority, top=796, width=inner, height=34, max_size=14, color=INK))
    return Layout(tuple(boxes), qr, tuple(texts))


def scale_for(size: str) -> float:
    """How much the A4 layout is scaled for a paper size (A3 is A4 × √2)."""
    return SIZES[size][0] / WIDTH
