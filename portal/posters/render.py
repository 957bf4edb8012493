"""Draw poster layouts: a PDF of many pages (reportlab, font embedded, QR as vector), a PNG (Pillow)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.colors import HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from portal.pdf_fonts import FONT_PATH, register_cjk_font
from portal.posters.layout import HEIGHT, SIZES, WIDTH, Layout, PosterSheet, QrCode, layout, scale_for

BOLD_STROKE = 0.035  # of the font size: the font has no bold face, so bold is the outline stroked as well


def _dark_runs(qr: QrCode) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules: fewer shapes than one per module."""
    for row, cells in enumerate(qr.modules):
        start = None
        for col, dark in enumerate((*cells, False)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                yield row, start, col - start
                start = None


def _draw_pdf_page(canvas: Canvas, drawn: Layout, title: str) -> None:
    """Draw one layout; PDF's y grows upwards, the layout's downwards, hence HEIGHT - y."""
    font = register_cjk_font()
    for box in drawn.boxes:
        canvas.setFillColor(HexColor(box.fill))
        bottom = HEIGHT - box.y - box.height
        if box.radius:
            canvas.roundRect(box.x, bottom, box.width, box.height, box.radius, stroke=0, fill=1)
        else:
            canvas.rect(box.x, bottom, box.width, box.height, stroke=0, fill=1)
    qr = drawn.qr
    module = qr.size / len(qr.modules)
    canvas.setFillColor(HexColor("#000000"))
    # One filled path of rectangles, written directly: reportlab's path object formats each number through a
    # slow generic routine, which made the QR code a third of a page's time. Runs overlap the row below by a
    # hair so that no white seam shows between rows at any zoom.
    rects = " ".join(
        f"{qr.x + col * module:.3f} {HEIGHT - qr.y - (row + 1) * module:.3f} {length * module:.3f} "
        f"{module * 1.002:.3f} re"
        for row, col, length in _dark_runs(qr)
    )
    canvas.addLiteral(f"{rects} f")
    for text in drawn.texts:
        width = stringWidth(text.text, font, text.size)
        label = canvas.beginText(text.x - (width / 2 if text.align == "centre" else 0), HEIGHT - text.baseline)
        label.setFont(font, text.size)
        canvas.setFillColor(HexColor(text.color))
        if text.bold:
            canvas.setStrokeColor(HexColor(text.color))
            canvas.setLineWidth(text.size * BOLD_STROKE)
            label.setTextRenderMode(2)  # fill and stroke
        else:
            label.setTextRenderMode(0)  # the mode is graphics state: it outlives the text object that set it
        label.textOut(text.text)
        canvas.drawText(label)
    canvas.bookmarkPage(title)


def title_of(sheet: PosterSheet) -> str:
    return f"{sheet.hospital_name} {sheet.department_name or '全院通用'}"


def posters_pdf(sheets: Iterable[PosterSheet], *, size: str) -> bytes:
    """One page per sheet, on A4 or A3, Chinese font embedded (subset), QR codes as vector shapes."""
    scale = scale_for(size)
    out = io.BytesIO()
    # The initial font would otherwise be Helvetica: listed, not embedded, and not used.
    canvas = Canvas(out, pagesize=SIZES[size], pageCompression=1, invariant=1, initialFontName=register_cjk_font())
    canvas.setTitle("二维码海报")
    canvas.setCreator("hospital integrity portal")
    for sheet in sheets:
        canvas.saveState()
        canvas.scale(scale, scale)
        _draw_pdf_page(canvas, layout(sheet), title_of(sheet))
        canvas.restoreState()
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@lru_cache(maxsize=64)
def _pil_font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), pixels)


def poster_png(sheet: PosterSheet, *, width_px: int = 600) -> bytes:
    """The page drawn with Pillow from the same layout (no PDF rasteriser needed), as PNG."""
    scale = width_px / WIDTH
    image = Image.new("RGB", (width_px, round(HEIGHT * scale)), "#ffffff")
    draw = ImageDraw.Draw(image)
    drawn = layout(sheet)
    for box in drawn.boxes:
        shape = [box.x * scale, box.y * scale, (box.x + box.width) * scale, (box.y + box.height) * scale]
        draw.rounded_rectangle(shape, radius=box.radius * scale, fill=box.fill)
    qr = drawn.qr
    count = len(qr.modules)
    small = Image.new("1", (count, count), 1)
    small.putdata([0 if dark else 1 for row in qr.modules for dark in row])
    side = round(qr.size * scale)
    image.paste(small.resize((side, side), Image.Resampling.NEAREST), (round(qr.x * scale), round(qr.y * scale)))
    for text in drawn.texts:
        pixels = max(1, round(text.size * scale))
        draw.text(
            (text.x * scale, text.baseline * scale), text.text, font=_pil_font(pixels), fill=text.color,
            anchor="ms" if text.align == "centre" else "ls",
            stroke_width=max(1, round(pixels * BOLD_STROKE / 2)) if text.bold else 0, stroke_fill=text.color,
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def qr_svg_path(qr: QrCode) -> str:
    """The dark modules as one SVG path in layout points (the print view draws the same layout as SVG)."""
    module = qr.size / len(qr.modules)
    return " ".join(
        f"M{qr.x + col * module:.2f} {qr.y + row * module:.2f}h{length * module:.2f}v{module * 1.002:.2f}"
        f"h{-length * module:.2f}z"
        for row, col, length in _dark_runs(qr)
    )
