"""Build static/fonts/PortalSansSC.ttf: Noto Sans SC (OFL 1.1) cut to GB2312 + ASCII + CJK punctuation,
with its CFF outlines converted to TrueType so that reportlab can embed a subset of it in PDFs.

Run once by hand when the character set must change (needs `pip install fonttools` in a scratch venv):
    python scripts/make_cjk_font.py NotoSansSC-Regular.otf static/fonts/PortalSansSC.ttf
The source OTF comes from the noto-cjk project (also on PyPI inside `pylopdf-fonts-zh-cn`). The output is
renamed, as the OFL asks of modified versions.
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

FAMILY = "Portal Sans SC"
POSTSCRIPT = "PortalSansSC-Regular"


def gb2312() -> set[int]:
    points: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def wanted() -> set[int]:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2100, 0x218F),
              (0x2460, 0x24FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]
    points = gb2312()
    for low, high in ranges:
        points.update(range(low, high + 1))
    return points


def cff_to_glyf(font: TTFont) -> None:
    """Replace cubic CFF outlines by quadratic TrueType ones (what reportlab's TTFont reads)."""
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in font.getGlyphOrder():
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    del font["CFF "]
    for table in ("VORG", "DSIG"):
        if table in font:
            del font[table]
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = glyphs
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 3:
            record.string = f"{POSTSCRIPT};subset"
        elif record.nameID == 6:
            record.string = POSTSCRIPT
        elif record.nameID == 17:
            record.string = "Regular"


def main(source: str, target: str) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted()))
    subsetter.subset(font)
    cff_to_glyf(font)
    rename(font)
    font.save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
