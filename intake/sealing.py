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


def decode_payload(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("a submission payload is a JSON object")
    return value


def seal_payload(office_key: OfficeKey, payload: dict[str, Any], *, associated_data: bytes) -> bytes:
    """Seal on arrival, in memory: the plaintext never reaches the database or a file."""
    return seal(load_public_key(office_key.public_key), encode_payload(payload), associated_data=associated_data)
