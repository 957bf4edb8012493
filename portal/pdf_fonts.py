"""The CJK font every PDF embeds (certificates, posters): a TrueType subset of Noto Sans SC shipped in static/fonts.

reportlab's built-in `STSong-Light` is a CID font that is not embedded: on a machine without Chinese fonts every
character prints as a box. A TrueType font registered with reportlab is embedded as a subset of the glyphs used.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "PortalSansSC"
FONT_FILE = Path(__file__).resolve().parent.parent / "static" / "fonts" / "PortalSansSC.ttf"


def register_cjk_font() -> str:
    """Register the embedded CJK font with reportlab once; return its name for `setFont`."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE)))
    return FONT_NAME
