"""The head reads the audit chain, filters it, and verification catches an edited or a deleted event."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from portal.models import AuditEvent, Role
from tests.helpers import PASSWORD
from tests.portal.workbench_support import add_officer, clue_form, post


def some_activity(head_client) -> None:  # type: ignore[no-untyped-def]
    for summary in ("一", "二", "三"):
        assert post(head_client, "/office/clues/new", clue_form(summary=summary)).status_code == 303
    head_client.get("/office/clues")


def test_the_head_sees_and_filters_the_trail(db, deployment, head_client):
    some_activity(head_client)
    page = head_client.get("/office/audit").text
    assert "登记线索" in page and "查阅线索台帐" in page and "登录" in page
    only = head_client.get("/office/audit?action=ledger_viewed").text
    assert "查阅线索台帐" in only and "<td>登记线索</td>" not in only
    with db.transaction() as session:
        head_id = session.scalar(select(AuditEvent.officer_id).where(AuditEvent.action == "login"))
    assert "登记线索" in head_client.get(f"/office/audit?officer={head_id}&since=2020-01-01").text
    assert "没有符合条件的记录" in head_client.get("/office/audit?until=2020-01-01").text
    bad = head_client.get("/office/audit?since=2025-13-40")
    assert bad.status_code == 400 and "日期无效" in bad.text


def test_verification_passes_on_an_intact_chain(db, deployment, head_client):
    some_activity(head_client)
    result = post(head_client, "/office/audit/verify", {})
    assert result.status_code == 200 and "校验通过" in result.text
    with db.transaction() as session:
        assert session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first() == "audit_verified"


def test_an_edited_event_is_detected(db, deployment, head_client):
    some_activity(head_client)
    with db.transaction() as session:
        victim = session.scalar(select(AuditEvent).where(AuditEvent.action == "ledger_viewed"))
        seq = victim.seq
        session.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(details="{}"))
    result = post(head_client, "/office/audit/verify", {})
    assert "校验失败" in result.text and f"第 {seq} 条" in result.text


def test_a_deleted_event_is_detected(db, deployment, head_client):
    some_activity(head_client)
    with db.transaction() as session:
        victim = session.scalar(select(AuditEvent).where(AuditEvent.action == "clue_created").limit(1))
        seq = victim.seq
        session.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
    result = post(head_client, "/office/audit/verify", {})
    # The link after the gap no longer holds: the first event that fails is the one that followed.
    assert "校验失败" in result.text and f"第 {seq + 1} 条" in result.text


def test_only_the_head_reads_the_trail(db, deployment, settings, client, officer_actions):
    for username, role in (("li", Role.OFFICER), ("it", Role.ADMIN)):
        new = add_officer(db, settings, deployment, username, role=role, with_keys=role is not Role.ADMIN)
        assert officer_actions.login(username, PASSWORD, new.totp_secret).status_code == 303
        assert client.get("/office/audit").status_code == 403
        officer_actions.logout()
