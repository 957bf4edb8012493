"""The office rotates its key: old submissions stay readable, new ones are sealed to the new key, a removed
officer (even one who kept a copy of the old key) reads nothing new, and a crash leaves one state or the other."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crypto import envelope_key_id
from intake.models import OfficeKey, Submission
from portal import keyring as keyring_module
from portal.keyring import NoAccessError, current_key, officer_keyring, recovery_keyring
from portal.models import AuditEvent, KeyGrant, Officer, OfficerSession, Role
from portal.officers import create_officer, give_access, remove_officer
from portal.rotation import rotate_office_key
from tests.helpers import PASSWORD, OfficerActions
from tests.reporting import FULL_REPORT, Reporter, poster_code


def newest_report(db, before: set[str]) -> str:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        (found,) = set(session.scalars(select(Submission.id))) - before
        return found


def test_rotation_keeps_old_reports_readable_and_seals_new_ones_to_the_new_key(client, app, db, settings,
                                                                               deployment):
    with db.transaction() as session:
        office = session.merge(deployment.office)
        helper = create_officer(session, office=office, username="li", display_name="李", role=Role.OFFICER,
                                password=PASSWORD, params=settings.argon2, secret=settings.secret)
        leaver = create_officer(session, office=office, username="zhou", display_name="周", role=Role.OFFICER,
                                password=PASSWORD, params=settings.argon2, secret=settings.secret)
        keys = recovery_keyring(session, office=office, code=deployment.hospital_recovery_code)
        give_access(session, officer=helper.officer, keyring=keys, granted_by=None)
        give_access(session, officer=leaver.officer, keyring=keys, granted_by=None)
        old_key = current_key(session, office.id).key_id
        # What the leaver could have copied while still in office: every key they held.
        leaver_row = session.get(Officer, leaver.officer.id)
        copied = officer_keyring(session, officer=leaver_row, officer_private=leaver.private_key)
        remove_officer(session, officer=leaver_row)
    assert old_key in copied.keys
    with db.transaction() as session:
        before = set(session.scalars(select(Submission.id)))
    assert Reporter(client).file(poster_code(db), {**FULL_REPORT, "what": "旧钥匙下的举报"}).status_code == 200
    old_report = newest_report(db, before)
    head = OfficerActions(client, db)
    assert head.login("head", PASSWORD, deployment.officer.totp_secret).status_code == 303

    with db.transaction() as session:
        office = session.merge(deployment.office)
        head_row = session.scalar(select(Officer).where(Officer.username == "head"))
        keys = recovery_keyring(session, office=office, code=deployment.hospital_recovery_code)
        done = rotate_office_key(session, office=office, keyring=keys, by=head_row)
    assert done.officers_granted == ["head", "li"] and done.retired == 1
    with db.transaction() as session:
        new_key = current_key(session, deployment.office.id).key_id
        assert new_key == done.key_id != old_key
        assert session.scalar(select(func.count()).select_from(OfficerSession)) == 0  # everyone logs in again
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == \
            "office_key_rotated"

    # The head's old session ended; logged in again, both generations open.
    assert client.get("/office/", follow_redirects=False).status_code == 303
    assert head.login("head", PASSWORD, deployment.officer.totp_secret).status_code == 303
    with db.transaction() as session:
        before = set(session.scalars(select(Submission.id)))
    assert Reporter(client).file(poster_code(db), {**FULL_REPORT, "what": "新钥匙下的举报"}).status_code == 200
    new_report = newest_report(db, before)
    assert "旧钥匙下的举报" in client.get(f"/office/submissions/{old_report}").text
    assert "新钥匙下的举报" in client.get(f"/office/submissions/{new_report}").text

    with db.transaction() as session:
        new_envelope = session.get(Submission, new_report).envelope
        old_envelope = session.get(Submission, old_report).envelope
        li = session.scalar(select(Officer).where(Officer.username == "li"))
        li_keys = officer_keyring(session, officer=li, officer_private=helper.private_key)
        zhou_grants = session.scalar(select(func.count()).select_from(KeyGrant)
                                     .where(KeyGrant.officer_id == leaver.officer.id))
    assert envelope_key_id(new_envelope) == new_key and envelope_key_id(old_envelope) == old_key
    assert set(li_keys.keys) == {old_key, new_key}
    assert zhou_grants == 0
    copied.open(old_envelope, associated_data=_context_of(db, old_report))  # what they had, they had
    with pytest.raises(NoAccessError):
        copied.open(new_envelope, associated_data=_context_of(db, new_report))


def _context_of(db, submission_id: str) -> bytes:  # type: ignore[no-untyped-def]
    from intake.sealing import submission_context

    with db.transaction() as session:
        row = session.get(Submission, submission_id)
        return submission_context(kind=row.kind, hospital_id=row.hospital_id, department_id=row.department_id)


def test_a_crash_in_the_middle_of_a_rotation_leaves_the_old_state_whole(db, settings, deployment, monkeypatch):
    with db.transaction() as session:
        office = session.merge(deployment.office)
        second = create_officer(session, office=office, username="li", display_name="李", role=Role.OFFICER,
                                password=PASSWORD, params=settings.argon2, secret=settings.secret)
        give_access(session, officer=second.officer,
                    keyring=recovery_keyring(session, office=office, code=deployment.hospital_recovery_code),
                    granted_by=None)

    def snapshot() -> tuple:  # type: ignore[type-arg]
        with db.transaction() as session:
            keys = session.execute(select(OfficeKey.key_id, OfficeKey.retired_at)
                                   .where(OfficeKey.office_id == deployment.office.id).order_by(OfficeKey.id)).all()
            grants = session.scalar(select(func.count()).select_from(KeyGrant))
            return tuple(keys), grants

    before = snapshot()
    real_grant = keyring_module.grant
    calls = []

    def grant_then_crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:  # the first officer got the new key, the process dies before the second
            raise SystemExit("killed")
        return real_grant(*args, **kwargs)

    monkeypatch.setattr("portal.rotation.grant", grant_then_crash)
    with pytest.raises(SystemExit), db.transaction() as session:
        office = session.merge(deployment.office)
        rotate_office_key(session, office=office, by=None,
                          keyring=recovery_keyring(session, office=office, code=deployment.hospital_recovery_code))
    assert snapshot() == before
    monkeypatch.setattr("portal.rotation.grant", real_grant)
    with db.transaction() as session:
        office = session.merge(deployment.office)
        rotate_office_key(session, office=office, by=None,
                          keyring=recovery_keyring(session, office=office, code=deployment.hospital_recovery_code))
    after = snapshot()
    assert len(after[0]) == len(before[0]) + 1 and after[1] == before[1] + 2
    assert after[0][0][1] is not None and after[0][-1][1] is None  # old retired, new current
