"""What binds a sealed submission to its place, and sealing on arrival when the browser could not."""

from __future__ import annotations

import json
from typing import Any

from crypto import context, load_public_key, seal
from intake.models import OfficeKey, SubmissionKind

FORMAT = "1"


def submission_context(*, kind: SubmissionKind, hospital_id: int, department_id: int | None) -> bytes:
    """Associated data of a submission's envelope: it cannot be moved to another kind, hospital or department."""
    return context("submission", FORMAT, kind.value, str(hospital_id), str(department_id or ""))


def identity_context(*, kind: SubmissionKind, hospital_id: int, department_id: int | None) -> bytes:
    return context("identity", FORMAT, kind.value, str(hospital_id), str(department_id or ""))


def encode_payload(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


class PayloadError(ValueError):
    """An opened envelope whose content is not a payload (a hand-made envelope: anyone may seal to an office)."""


def decode_payload(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        raise PayloadError("a submission payload is UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise PayloadError("a submission payload is a JSON object")
    return value


def _shown(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value,
                                                                                                ensure_ascii=False)


def tidy_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The shape the office pages expect, whatever a browser sealed: fields a flat mapping of text,
    attachments a list of objects. Nothing is dropped that the office could read: odd values are shown as JSON."""
    fields = payload.get("fields", {})
    if isinstance(fields, dict):
        fields = {str(name): _shown(value) for name, value in fields.items()}
    else:
        fields = {"fields": _shown(fields)}
    attachments = payload.get("attachments", [])
    attachments = [entry for entry in attachments if isinstance(entry, dict)] if isinstance(attachments, list) else []
    return {**payload, "fields": fields, "attachments": attachments}


def seal_payload(office_key: OfficeKey, payload: dict[str, Any], *, associated_data: bytes) -> bytes:
    """Seal on arrival, in memory: the plaintext never reaches the database or a file."""
    return seal(load_public_key(office_key.public_key), encode_payload(payload), associated_data=associated_data)
