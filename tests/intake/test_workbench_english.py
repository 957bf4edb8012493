"""Every label and message the workbench shows from Python has its English translation."""

from __future__ import annotations

import re
from pathlib import Path

from intake.rendering import load_english
from portal.audit_trail import ACTION_LABELS
from portal.clue_models import LABELS
from portal.clue_rules import MESSAGES
from portal.clues import FIELD_LABELS
from portal.deadlines import STATE_LABELS

ROOT = Path(__file__).resolve().parents[2]
SHOWN_FROM = ["portal/clues.py", "portal/workbench.py", "portal/officer_accounts.py", "portal/office/clues.py",
              "portal/office/workbench.py", "portal/office/officers.py", "portal/office/exports.py",
              "portal/office/audit_log.py"]
MESSAGE = re.compile(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*。)"')


def test_labels_messages_and_refusals_are_translated():
    english = load_english()
    wanted = {v for table in LABELS.values() for v in table.values()}
    wanted |= set(MESSAGES.values()) | set(ACTION_LABELS.values()) | set(STATE_LABELS.values())
    wanted |= set(FIELD_LABELS.values())
    for name in SHOWN_FROM:
        wanted |= set(MESSAGE.findall((ROOT / name).read_text(encoding="utf-8")))
    assert len(wanted) > 120
    assert sorted(s for s in wanted if s not in english) == []
