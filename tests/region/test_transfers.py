"""交办 and 上报: a clue and its reports are re-sealed to the receiving office; the sender keeps only a record."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crypto import CryptoError
from intake.models import Submission, SubmissionKind
from intake.sealing import submission_context
from portal.clue_models import Clue
from portal.keyring import NoAccessError, recovery_keyring
from portal.models import AuditEvent
from tests.portal.workbench_support import clue_form, head_keyring, post, store_report
from tests.region.support import add_second_hospital, authority_officer, login


def _clue_id(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers["location"].split("/")[-1].split("?")[0]


def test_a_hospital_passes_a_clue_up_and_keeps_no_content(app, db, settings, deployment, department, head_client):
    report = store_report(db, deployment, department, "科主任收红包", real_name=True)
    made = post(head_client, "/office/clues/new", clue_form(submission_id=report, summary="上报线索摘要"))
    clue_id = _clue_id(made)
    page = head_client.get(f"/office/clues/{clue_id}").text
    assert "上报" in page
    sent = post(head_client, f"/office/clues/{clue_id}/transfer", {"to_office_id": str(deployment.authority.id)})
    assert sent.status_code == 303
    # The hospital keeps a record, no content; the report is gone from its pages.
    after = head_client.get(f"/office/clues/{clue_id}").text
    assert "上报线索摘要" not in after and "已于" in after
    assert head_client.get(f"/office/submissions/{report}").status_code == 404
    record = head_client.get("/office/transfers").text
    assert "上报" in record and "示例市卫健委驻委纪检监察组" in record and "上报线索摘要" not in record
    # The authority reads the clue and the report, identity included.
    chief_new = authority_officer(db, settings, deployment, "chief")
    chief = login(app, db, "chief", chief_new.totp_secret)
    listing = chief.get("/office/transfers").text
    number = re.search(r'href="/office/clues/(\d+)">', listing).group(1)
    received = chief.get(f"/office/clues/{number}").text
    assert "上报线索摘要" in received and "示例市第一人民医院纪检监察室" in received
    assert "科主任收红包" in chief.get(f"/office/submissions/{report}").text
    # At rest: the envelope opens with the authority's key and no longer with the hospital's.
    with db.transaction() as session:
        row = session.get(Submission, report)
        ad = submission_context(kind=SubmissionKind.REPORT, hospital_id=row.hospital_id,
                                department_id=row.department_id)
        authority = recovery_keyring(session, office=deployment.authority, code=deployment.authority_recovery_code)
        assert b"\xe7\xa7\x91" in authority.open(row.envelope, associated_data=ad)  # 科
        _, hospital = head_keyring(session)
        with pytest.raises((CryptoError, NoAccessError)):
            hospital.open(row.envelope, associated_data=ad)
        sender_clue = session.get(Clue, int(clue_id))
        assert sender_clue.summary_sealed is None and sender_clue.person_sealed is None
        actions = {(e.office_id, e.action) for e in session.scalars(select(AuditEvent))}
    assert (deployment.office.id, "clue_transferred") in actions
    assert (deployment.authority.id, "clue_received") in actions
    # Not twice.
    again = post(head_client, f"/office/clues/{clue_id}/transfer", {"to_office_id": str(deployment.authority.id)})
    assert again.status_code == 400


def test_the_authority_hands_a_clue_down_to_one_hospital(app, db, settings, deployment, department, head_client):
    other = add_second_hospital(db, settings, deployment)
    chief_new = authority_officer(db, settings, deployment, "chief")
    chief = login(app, db, "chief", chief_new.totp_secret)
    escalated = store_report(db, deployment, department, "匿名反映某医生", office_id=deployment.authority.id)
    made = post(chief, "/office/clues/new", clue_form(submission_id=escalated, summary="交办线索摘要"))
    clue_id = _clue_id(made)
    # The report is about the first hospital: it cannot go to another one.
    with db.transaction() as session:
        from intake.models import Office

        other_office = session.scalar(select(Office.id).where(Office.hospital_id == other.hospital_id))
    wrong = post(chief, f"/office/clues/{clue_id}/transfer", {"to_office_id": str(other_office)})
    assert wrong.status_code == 400 and "只能交办给该医院" in wrong.text
    assert post(chief, f"/office/clues/{clue_id}/transfer",
                {"to_office_id": str(deployment.office.id)}).status_code == 303
    ledger = head_client.get("/office/clues").text
    assert "上级纪委监委交办" in ledger
    with db.transaction() as session:
        moved = session.scalar(select(Clue).where(Clue.office_id == deployment.office.id))
        count = session.scalar(select(func.count()).select_from(Clue))
    assert count == 2
    assert "交办线索摘要" in head_client.get(f"/office/clues/{moved.id}").text
    assert "匿名反映某医生" in head_client.get(f"/office/submissions/{escalated}").text


def test_only_the_office_head_transfers_its_own_clues(app, db, settings, deployment, department, head_client):
    from tests.portal.workbench_support import add_officer

    made = post(head_client, "/office/clues/new", clue_form(summary="本院线索"))
    clue_id = _clue_id(made)
    li = add_officer(db, settings, deployment, "li")
    officer = login(app, db, "li", li.totp_secret)
    assert post(officer, f"/office/clues/{clue_id}/transfer",
                {"to_office_id": str(deployment.authority.id)}).status_code == 403
    chief_new = authority_officer(db, settings, deployment, "chief")
    chief = login(app, db, "chief", chief_new.totp_secret)
    assert post(chief, f"/office/clues/{clue_id}/transfer",
                {"to_office_id": str(deployment.office.id)}).status_code == 403
