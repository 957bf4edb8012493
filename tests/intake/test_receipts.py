"""A receipt code finds its submission again and opens the reporter key; nothing else does."""

from __future__ import annotations

import pytest

from crypto import (
    DecryptionError,
    derive_receipt_keys,
    format_receipt,
    generate_receipt,
    normalise_receipt,
    public_key_bytes,
)
from intake.db import this_hour
from intake.models import Submission, SubmissionKind
from intake.receipts import find_receipt, open_reporter_key, prepare_receipt, receipt_pepper, store_receipt


def stored_report(db, deployment) -> str:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        row = Submission(kind=SubmissionKind.REPORT, office_id=deployment.office.id,
                         hospital_id=deployment.hospital.id, envelope=b"x", created_hour=this_hour())
        session.add(row)
        session.flush()
        return row.id


def test_a_code_typed_back_finds_the_report_and_its_reporter_key(db, deployment, settings):
    pepper = receipt_pepper(settings.secret.reveal())
    prepared = prepare_receipt(pepper=pepper, params=settings.argon2)
    submission_id = stored_report(db, deployment)
    with db.transaction() as session:
        store_receipt(session, prepared, submission_id=submission_id)
    typed = normalise_receipt("  " + format_receipt(prepared.code).replace(" ", "－") + " ")
    keys = derive_receipt_keys(typed, pepper=pepper, params=settings.argon2)
    with db.transaction() as session:
        found = find_receipt(session, keys)
        assert found is not None and found.submission_id == submission_id
        assert public_key_bytes(open_reporter_key(found, keys).public_key()) == prepared.reporter_public_key
    assert prepared.code not in repr(prepared)


def test_another_code_or_another_pepper_finds_nothing(db, deployment, settings):
    pepper = receipt_pepper(settings.secret.reveal())
    prepared = prepare_receipt(pepper=pepper, params=settings.argon2)
    submission_id = stored_report(db, deployment)
    with db.transaction() as session:
        receipt = store_receipt(session, prepared, submission_id=submission_id)
    with db.transaction() as session:
        assert find_receipt(session, derive_receipt_keys(generate_receipt(), pepper=pepper,
                                                         params=settings.argon2)) is None
        stolen_db_only = derive_receipt_keys(prepared.code, pepper=b"\x00" * 32, params=settings.argon2)
        assert find_receipt(session, stolen_db_only) is None
    with pytest.raises(DecryptionError):
        open_reporter_key(receipt, stolen_db_only)
