"""What a clue form may say: parsing a submitted form into a typed `ClueInput`, and the rules of the workflow
(closing only with a result, a disposition that fits the status, real dates). No side effects."""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import TypeVar

from portal.clue_models import (
    Channel,
    ClueSource,
    ClueStatus,
    Disposition,
    FurtherStep,
    HandlingMode,
    PersonRank,
    ReportCategory,
    TransferTo,
)

E = TypeVar("E", bound=enum.StrEnum)

SEALED_FIELDS = ("person", "position", "summary", "result", "notes")
TEXT_LIMITS = {"person": 100, "position": 100, "summary": 2000, "result": 2000, "notes": 4000}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")

# Every message a form can show (the English catalogue translates each; a test checks).
MESSAGES = {
    "required": "此项为必填项。",
    "choice": "请从列表中选择。",
    "date": "日期无效，请按“年-月-日”填写真实存在的日期，例如 2025-03-05。",
    "future": "日期不能晚于今天。",
    "before_received": "办结日期不能早于受理日期。",
    "too_long": "内容过长，请精简后再保存。",
    "number": "请填写 0 到 99 之间的整数。",
    "close_without_result": "销号前必须先记录处置结果。",
    "close_without_disposition": "销号前必须先确定处置方式。",
    "close_on_hold": "“暂存待查”的线索尚未了结，不能销号。",
    "handling_without_disposition": "处置中的线索须选择处置方式。",
    "pending_with_disposition": "已确定处置方式的线索，状态应为“处置中”或“已销号”。",
    "transfer_without_target": "选择“移送”时须写明移送单位。",
    "case_without_verification": "立案审查须以初步核实为前提，请将处置方式设为“初步核实”。",
    "closed_on_without_close": "尚未销号的线索不填办结日期。",
}


@dataclass(frozen=True)
class ClueInput:
    """A validated clue form: plain workflow fields and the texts to be sealed."""

    source: ClueSource
    channel: Channel | None
    category: ReportCategory | None
    department_id: int | None
    person_rank: PersonRank | None
    received_on: date
    status: ClueStatus
    disposition: Disposition | None
    further_step: FurtherStep
    transfer_to: TransferTo | None
    handling_mode: HandlingMode
    outcome_form: int | None
    administrative_penalty: bool
    publicised: bool
    rules_improved: int
    closed_on: date | None
    assignee_id: int | None
    person: str
    position: str
    summary: str
    result: str
    notes: str

    def texts(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SEALED_FIELDS}

    def plain(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in SEALED_FIELDS}


class FormErrors(dict[str, str]):
    """Field name -> message key of MESSAGES."""


def parse_date(raw: str) -> date | None:
    """A date typed as 2025-03-05, 2025/3/5 or 2025年3月5日; None when it is not a real date."""
    match = _DATE.match(raw.strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _choice(form: Mapping[str, str], name: str, kind: type[E], errors: FormErrors, *,
            required: bool = False) -> E | None:
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            errors[name] = "required"
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[name] = "choice"
        return None


def _id(form: Mapping[str, str], name: str, allowed: Collection[int], errors: FormErrors) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in allowed:
        errors[name] = "choice"
        return None
    return int(raw)


def parse_clue_form(form: Mapping[str, str], *, today: date, department_ids: Collection[int],
                    officer_ids: Collection[int], existing_result: bool = False) -> tuple[ClueInput | None, FormErrors]:
    """Validate a clue form; on any error return the errors by field (the caller re-shows the input)."""
    errors = FormErrors()
    texts = {}
    for name in SEALED_FIELDS:
        value = form.get(name, "").strip()
        if len(value) > TEXT_LIMITS[name]:
            errors[name] = "too_long"
        texts[name] = value
    if not texts["summary"]:
        errors["summary"] = "required"
    source = _choice(form, "source", ClueSource, errors, required=True)
    channel = _choice(form, "channel", Channel, errors) if source is ClueSource.PETITION else None
    status = _choice(form, "status", ClueStatus, errors) or ClueStatus.PENDING
    disposition = _choice(form, "disposition", Disposition, errors)
    further = _choice(form, "further_step", FurtherStep, errors) or FurtherStep.NONE
    transfer_to = _choice(form, "transfer_to", TransferTo, errors) if further is FurtherStep.TRANSFER else None
    outcome_raw = form.get("outcome_form", "").strip()
    outcome = None
    if outcome_raw:
        if outcome_raw in {"1", "2", "3", "4"}:
            outcome = int(outcome_raw)
        else:
            errors["outcome_form"] = "choice"
    rules_raw = form.get("rules_improved", "").strip() or "0"
    rules = int(rules_raw) if rules_raw.isdigit() and int(rules_raw) < 100 else 0
    if not (rules_raw.isdigit() and int(rules_raw) < 100):
        errors["rules_improved"] = "number"

    received = _date_field(form, "received_on", today, errors, required=True)
    closed = _date_field(form, "closed_on", today, errors, required=False)
    if status is ClueStatus.CLOSED and closed is None and "closed_on" not in errors:
        closed = today
    if received and closed and closed < received:
        errors["closed_on"] = "before_received"
    if closed and status is not ClueStatus.CLOSED and "closed_on" not in errors:
        errors["closed_on"] = "closed_on_without_close"

    # The workflow's rules, each refused with its reason on the field concerned.
    if status is ClueStatus.CLOSED:
        if not texts["result"] and not existing_result:
            errors.setdefault("result", "close_without_result")
        if disposition is None:
            errors.setdefault("disposition", "close_without_disposition")
        elif disposition is Disposition.HOLD:
            errors.setdefault("status", "close_on_hold")
    elif status is ClueStatus.HANDLING and disposition is None:
        errors.setdefault("disposition", "handling_without_disposition")
    elif status is ClueStatus.PENDING and disposition is not None:
        errors.setdefault("status", "pending_with_disposition")
    if further is FurtherStep.TRANSFER and transfer_to is None:
        errors.setdefault("transfer_to", "transfer_without_target")
    if further is FurtherStep.CASE and disposition is not Disposition.PRELIMINARY_VERIFICATION:
        errors.setdefault("further_step", "case_without_verification")

    value = ClueInput(
        source=source or ClueSource.PETITION, channel=channel,
        category=_choice(form, "category", ReportCategory, errors),
        department_id=_id(form, "department_id", department_ids, errors),
        person_rank=_choice(form, "person_rank", PersonRank, errors),
        received_on=received or today, status=status, disposition=disposition, further_step=further,
        transfer_to=transfer_to,
        handling_mode=_choice(form, "handling_mode", HandlingMode, errors) or HandlingMode.SELF,
        outcome_form=outcome, administrative_penalty=form.get("administrative_penalty") == "1",
        publicised=form.get("publicised") == "1", rules_improved=rules, closed_on=closed,
        assignee_id=_id(form, "assignee_id", officer_ids, errors), **texts,
    )
    return (None, errors) if errors else (value, errors)


def _date_field(form: Mapping[str, str], name: str, today: date, errors: FormErrors, *,
                required: bool) -> date | None:
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            errors[name] = "required"
        return None
    parsed = parse_date(raw)
    if parsed is None:
        errors[name] = "date"
        return None
    if parsed > today:
        errors[name] = "future"
        return None
    return parsed
