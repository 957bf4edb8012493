"""Every Chinese string a page shows has its English translation (public pages offer English)."""

from __future__ import annotations

import re
from pathlib import Path

from intake import labels
from intake.rendering import load_english

ROOT = Path(__file__).resolve().parents[2]
IN_TEMPLATES = re.compile(r"""_\(\s*"([^"]+)"\s*[,)]""")


def strings_in_templates() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        found.update(IN_TEMPLATES.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_template_string_and_label_is_translated():
    english = load_english()
    wanted = strings_in_templates() | {v for table in labels.ALL.values() for v in table.values()}
    missing = sorted(s for s in wanted if s not in english)
    assert missing == []


def test_english_pages_are_english(client, deployment):
    page = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/"})
    assert "Hospital Integrity Portal" in client.get("/").text
