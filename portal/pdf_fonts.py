"""The CJK font every PDF embeds, so that Chinese prints on machines without Chinese fonts."""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "PortalCJK"
# A TrueType-outlined subset of WenQuanYi Micro Hei (Apache-2.0, see static/fonts/). reportlab embeds a subset of
# the glyphs each document uses; its built-in STSong-Light would not be embedded and prints as boxes.
FONT_PATH = Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei-subset.ttf"

_lock = threading.Lock()


def register_cjk_font() -> str:
    """Register the embedded CJK font with reportlab (once per process) and return its reportlab name."""
    with _lock:
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME

