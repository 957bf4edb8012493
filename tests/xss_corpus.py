"""XSS payloads from a public corpus package (brs-kb, MIT: installed by the test extras, not vendored)."""

from __future__ import annotations

import random

import brs_kb

CONTEXTS = {"html_content", "html_attribute", "svg", "href", "url", "template_injection", "dom", "javascript"}


def _clean(value: str) -> str:
    """What the report form keeps of a field (intake.report_form._clean): no control characters, stripped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or ch >= " ").strip()


def xss_payloads(count: int = 400, *, max_length: int = 200) -> list[str]:
    """A fixed, reproducible sample: the same `count` payloads on every run, each at most `max_length` long."""
    found = {entry["payload"] for entry in brs_kb.get_all_payloads().values()
             if CONTEXTS & set(entry["contexts"])}
    usable = sorted(p for p in found if p == _clean(p) and "\n" not in p and 0 < len(p) <= max_length)
    return random.Random(9).sample(usable, count)
