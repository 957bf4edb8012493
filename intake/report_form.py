"""The report form: its categories and fields, their limits, and validation of what the plain form posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from intake.labels import REPORT_CATEGORY

CATEGORIES: tuple[str, ...] = tuple(REPORT_CATEGORY)

# Field name -> (maximum length, required). The order is the order on the form and in the office's view.
FIELDS: dict[str, tuple[int, bool]] = {
    "category": (40, True),
    "what": (5000, True),
    "who": (200, False),
    "role": (100, False),
    "when": (100, False),
    "where": (200, False),
    "amount": (200, False),
}
IDENTITY_FIELDS: dict[str, int] = {"real_name": 50, "contact": 100}

# Chinese labels (the English comes from the catalogue); also used by the office's view of a report.
FIELD_LABELS = {
    "category": "举报类别",
    "what": "发生了什么",
    "who": "被反映人",
    "role": "职务或岗位",
    "when": "时间",
    "where": "地点",
    "amount": "金额或物品",
    "real_name": "真实姓名",
    "contact": "联系方式",
}

REQUIRED_MESSAGES = {"category": "请选择举报类别。", "what": "请写下发生了什么。"}
TOO_LONG = "内容过长，最多 {n} 个字。"


@dataclass
class ReportInput:
    """What a reporter typed, kept as typed so that a refused form comes back whole."""

    fields: dict[str, str] = field(default_factory=dict)
    identity: dict[str, str] = field(default_factory=dict)
    escalate: bool = False
    department_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field name -> Chinese message

    def payload(self, attachments: list[dict[str, Any]]) -> dict[str, Any]:
        kept = {name: value for name, value in self.fields.items() if value}
        return {"v": 1, "fields": kept, "attachments": attachments}

    def identity_payload(self) -> dict[str, Any] | None:
        kept = {name: value for name, value in self.identity.items() if value}
        return {"v": 1, **kept} if kept else None


def _clean(value: str) -> str:
    # Normalise line ends and drop control characters other than newlines and tabs.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or ch >= " ").strip()


def read_report(values: dict[str, str], *, departments: set[int]) -> ReportInput:
    """Validate the plain form's fields; errors are said next to the field, nothing typed is lost."""
    report = ReportInput()
    for name, (limit, required) in FIELDS.items():
        value = _clean(values.get(name, ""))
        report.fields[name] = value
        if required and not value:
            report.errors[name] = REQUIRED_MESSAGES[name]
        elif len(value) > limit:
            report.errors[name] = TOO_LONG.format(n=limit)
    if report.fields["category"] and report.fields["category"] not in CATEGORIES:
        report.errors["category"] = REQUIRED_MESSAGES["category"]
    for name, limit in IDENTITY_FIELDS.items():
        value = _clean(values.get(name, ""))
        report.identity[name] = value
        if len(value) > limit:
            report.errors[name] = TOO_LONG.format(n=limit)
    report.escalate = values.get("escalate", "") == "1"
    report.department_id = read_department(values.get("department", ""), departments)
    return report


def read_department(value: str, departments: set[int]) -> int | None:
    """The department chosen on a hospital-wide poster's form; anything unknown reads as none."""
    return int(value) if value.isdigit() and int(value) in departments else None
