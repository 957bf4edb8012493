"""The hand-in form: what a staff member typed, checked field by field, then sealed and registered at once.

The form is sealed on arrival (in memory, before anything is written) rather than in the browser: each field is
checked with a message at the field (a negative amount, a date in the future), which needs the values for the
length of the request. Staff are not anonymous here; the exact registration time is their proof.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.chooser import Place
from intake.handin_models import GiftForm, HandIn
from intake.models import Department, Office, OfficeKey, Submission, SubmissionKind
from intake.receipts import PreparedReceipt, store_receipt
from intake.sealing import seal_payload, submission_context
from intake.workdays import CHINA, Timeliness, timeliness

MAX_AMOUNT = Decimal("1000000")  # 100 万元: above that a typing slip is far likelier than a red envelope
MAX_QUANTITY = 9999
MAX_AGE = timedelta(days=366)
REQUESTED = ("deposit", "returned", "finance", "office")  # 冲抵住院费用 / 退还患者 / 上交财务 / 由纪委决定
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TEXT_LIMITS = {"staff_name": 50, "staff_number": 30, "patient_name": 50, "inpatient_number": 30, "bed": 20,
               "circumstance": 2000, "items": 200, "witness": 100, "received_time": 5, "amount": 30,
               "quantity": 10, "received_on": 10, "form": 10, "requested": 10, "department_id": 12}


@dataclass(frozen=True)
class HandInDraft:
    """A checked registration, ready to seal."""

    department_id: int
    received_on: date
    form: GiftForm
    sealed_fields: dict[str, Any]


@dataclass
class Checked:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    draft: HandInDraft | None = None


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def parse_amount(typed: str) -> Decimal | None:
    """Yuan as typed on a phone: full-width digits, 1,000 or 1000元 or ￥1000 are all 1000; None if not a sum."""
    cleaned = unicodedata.normalize("NFKC", typed).replace(",", "").replace("，", "").strip()
    cleaned = cleaned.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _amount_error(typed: str, *, required: bool) -> tuple[str | None, str | None]:
    """(normalised amount, error)."""
    if not typed:
        return None, ("请填写金额（元）。" if required else None)
    amount = parse_amount(typed)
    if amount is None:
        return None, "金额请只填数字，例如 2000 或 1500.50。"
    if amount <= 0:
        return None, "金额必须大于 0。"
    if amount > MAX_AMOUNT:
        return None, "金额超过 100 万元，请核对是否多输了位数。"
    if amount != amount.quantize(Decimal("0.01")):
        return None, "金额最多保留两位小数（分）。"
    return f"{amount.quantize(Decimal('0.01'))}", None


def check_form(values: dict[str, str], *, place: Place, department_ids: set[int], now: datetime) -> Checked:
    """Check every field; collect one message per field so that the page shows them all at once."""
    checked = Checked(values=values)
    errors = checked.errors
    today = china_today(now)

    for name, message in (("staff_name", "请填写您的姓名。"), ("staff_number", "请填写您的工号。"),
                          ("circumstance", "请简要说明收到的经过（时间、地点、方式）。")):
        if not values.get(name):
            errors[name] = message

    department_id = place.department_id
    if department_id is None:
        typed = values.get("department_id", "")
        department_id = int(typed) if typed.isdigit() and int(typed) in department_ids else None
        if department_id is None:
            errors["department_id"] = "请选择您所在的科室。"

    received_on: date | None = None
    try:
        received_on = date.fromisoformat(values.get("received_on", ""))
    except ValueError:
        errors["received_on"] = "请选择收到的日期。"
    if received_on is not None:
        if received_on > today:
            errors["received_on"] = "收到日期不能晚于今天。"
        elif today - received_on > MAX_AGE:
            errors["received_on"] = "收到日期早于一年前，请核对；如确属当时收到，请直接联系纪检监察室。"

    received_time = values.get("received_time", "")
    if received_time:
        try:
            clock = time.fromisoformat(received_time)
        except ValueError:
            errors["received_time"] = "时间格式为 时:分，例如 14:30。"
        else:
            later_today = datetime.combine(today, clock, tzinfo=CHINA) > now.astimezone(CHINA) + timedelta(minutes=5)
            if received_on == today and "received_on" not in errors and later_today:
                errors["received_time"] = "收到时间不能晚于现在。"

    form: GiftForm | None = None
    try:
        form = GiftForm(values.get("form", ""))
    except ValueError:
        errors["form"] = "请选择形式：现金、购物卡、礼品或其他。"

    money_form = form in (GiftForm.CASH, GiftForm.SHOPPING_CARD)
    amount, amount_error = _amount_error(values.get("amount", ""), required=money_form)
    if amount_error:
        errors["amount"] = amount_error
    quantity: int | None = None
    if form is not None and not money_form:
        if not values.get("items"):
            errors["items"] = "请写明物品名称，例如 茶叶、购物袋内的保健品。"
        typed_quantity = unicodedata.normalize("NFKC", values.get("quantity", "")).strip()
        if not typed_quantity.isdigit() or not 1 <= int(typed_quantity) <= MAX_QUANTITY:
            errors["quantity"] = "数量请填 1 到 9999 之间的整数。"
        else:
            quantity = int(typed_quantity)

    requested = values.get("requested", "")
    if requested not in REQUESTED:
        errors["requested"] = "请选择希望的处理方式。"

    if errors or received_on is None or form is None or department_id is None:
        return checked
    checked.draft = HandInDraft(
        department_id=department_id,
        received_on=received_on,
        form=form,
        sealed_fields={
            "staff_name": values["staff_name"],
            "staff_number": values["staff_number"],
            "patient_name": values.get("patient_name", ""),
            "inpatient_number": values.get("inpatient_number", ""),
            "bed": values.get("bed", ""),
            "received_time": received_time,
            "circumstance": values["circumstance"],
            "amount": amount or "",
            "items": values.get("items", "") if not money_form else "",
            "quantity": quantity,
            "requested": requested,
            "witness": values.get("witness", ""),
        },
    )
    return checked


def staff_departments(session: Session, hospital_id: int) -> list[Department]:
    return list(session.scalars(
        select(Department).where(Department.hospital_id == hospital_id, Department.retired_at.is_(None))
        .order_by(Department.id)
    ))


def _current_office_key(session: Session, hospital_id: int) -> OfficeKey:
    office = session.scalar(select(Office).where(Office.hospital_id == hospital_id))
    if office is None:
        raise LookupError(f"hospital {hospital_id} has no office")
    key = session.scalar(
        select(OfficeKey).where(OfficeKey.office_id == office.id, OfficeKey.retired_at.is_(None))
        .order_by(OfficeKey.id.desc()).limit(1)
    )
    if key is None:
        raise LookupError(f"office {office.id} has no key")
    return key


def new_registration_number(session: Session, day: date) -> str:
    while True:
        tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
        number = f"SJ-{day:%Y%m%d}-{tail}"
        if session.scalar(select(HandIn.submission_id).where(HandIn.registration_number == number)) is None:
            return number


@dataclass(frozen=True)
class Registered:
    """What the receipt page shows once: the number, the exact time, the deadline, and the receipt code."""

    registration_number: str
    registered_at: datetime
    timeliness: Timeliness
    receipt: PreparedReceipt


def register_handin(session: Session, *, place: Place, draft: HandInDraft, prepared: PreparedReceipt,
                    now: datetime, deadline_days: int) -> Registered:
    """Seal the details to the office, store the plain workflow fields and the receipt, in one transaction."""
    office_key = _current_office_key(session, place.hospital_id)
    registered_at = now.replace(microsecond=0)
    standing = timeliness(draft.received_on, china_today(registered_at), limit=deadline_days)
    envelope = seal_payload(
        office_key, {"v": 1, "fields": draft.sealed_fields},
        associated_data=submission_context(kind=SubmissionKind.HAND_IN, hospital_id=place.hospital_id,
                                           department_id=draft.department_id),
    )
    submission = Submission(kind=SubmissionKind.HAND_IN, office_id=office_key.office_id,
                            hospital_id=place.hospital_id, department_id=draft.department_id, envelope=envelope,
                            sealed_in_browser=False,
                            created_hour=registered_at.replace(minute=0, second=0))
    session.add(submission)
    session.flush()
    number = new_registration_number(session, china_today(registered_at))
    session.add(HandIn(submission_id=submission.id, registration_number=number, registered_at=registered_at,
                       received_on=draft.received_on, form=draft.form, working_days=standing.working_days,
                       deadline_days=deadline_days, late=standing.late))
    store_receipt(session, prepared, submission_id=submission.id)
    return Registered(registration_number=number, registered_at=registered_at, timeliness=standing,
                      receipt=prepared)
