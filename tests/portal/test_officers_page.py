"""The officers page: the head adds an officer who then reads; removal ends reading; a lost password is reset
with the recovery code onto a new key pair; an administrator manages accounts and reads nothing."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient

from portal.models import KeyGrant, Officer, Role
from tests.helpers import PASSWORD, OfficerActions
from tests.portal.test_sealed_spine import MARKER, store_sealed_report
from tests.portal.workbench_support import add_officer, post


def credentials(page: str) -> tuple[str, str]:
    password = re.search(r'id="initial-password">([^<]+)<', page).group(1)
    secret = re.search(r'id="totp-secret">([^<]+)<', page).group(1)
    return password, secret


def other_browser(app, db) -> OfficerActions:  # type: ignore[no-untyped-def]
    return OfficerActions(TestClient(app, base_url="http://testserver"), db)


def test_the_head_adds_an_officer_who_logs_in_with_the_one_time_secrets_and_reads(app, db, deployment, department,
                                                                                 head_client):
    report = store_sealed_report(db, deployment, department, MARKER)
    page = post(head_client, "/office/officers", {"display_name": "李干部", "username": "li", "role": "officer"})
    assert page.status_code == 200 and "只显示这一次" in page.text and "data:image/svg+xml;base64," in page.text
    password, secret = credentials(page.text)
    with db.transaction() as session:
        li = session.scalar(select(Officer).where(Officer.username == "li"))
        assert password not in li.password_hash and secret.encode() not in li.totp_secret_sealed
    newcomer = other_browser(app, db)
    assert newcomer.login("li", password, secret).status_code == 303
    assert MARKER in newcomer.client.get(f"/office/submissions/{report}").text
    # The one-time password is replaced by the newcomer's own.
    changed = post(newcomer.client, "/office/password", {"old": password, "new": "a new long passphrase",
                                                         "repeat": "a new long passphrase"})
    assert "密码已修改" in changed.text
    newcomer.logout()
    assert newcomer.login("li", "a new long passphrase", secret).status_code == 303
    assert MARKER in newcomer.client.get(f"/office/submissions/{report}").text
    # A taken username is refused with the form kept.
    again = post(head_client, "/office/officers", {"display_name": "另一个李", "username": "li", "role": "officer"})
    assert again.status_code == 400 and "该用户名已被使用" in again.text and "另一个李" in again.text


def test_a_removed_officer_reads_nothing_and_the_last_head_stays(app, db, deployment, department, head_client):
    report = store_sealed_report(db, deployment, department, MARKER)
    password, secret = credentials(post(head_client, "/office/officers", {
        "display_name": "李干部", "username": "li", "role": "officer"}).text)
    newcomer = other_browser(app, db)
    newcomer.login("li", password, secret)
    with db.transaction() as session:
        li_id = session.scalar(select(Officer.id).where(Officer.username == "li"))
        head_id = session.scalar(select(Officer.id).where(Officer.username == "head"))
    assert post(head_client, f"/office/officers/{li_id}/remove", {}).status_code == 303
    assert newcomer.client.get(f"/office/submissions/{report}", follow_redirects=False).status_code == 303
    assert newcomer.login("li", password, secret).status_code == 400
    with db.transaction() as session:
        assert session.scalars(select(KeyGrant).where(KeyGrant.officer_id == li_id)).all() == []
    refused = post(head_client, f"/office/officers/{head_id}/remove", {})
    assert refused.status_code == 400 and "不能停用自己的账号" in refused.text


def test_a_lost_password_is_reset_with_the_recovery_code_onto_a_new_key_pair(app, db, deployment, department,
                                                                             head_client):
    report = store_sealed_report(db, deployment, department, MARKER)
    password, secret = credentials(post(head_client, "/office/officers", {
        "display_name": "李干部", "username": "li", "role": "officer"}).text)
    with db.transaction() as session:
        li = session.scalar(select(Officer).where(Officer.username == "li"))
        li_id, old_public = li.id, li.public_key
    wrong = post(head_client, f"/office/officers/{li_id}/reset", {"recovery_code": "AAAAA-" * 7 + "AAAAA"})
    assert wrong.status_code == 400 and "恢复码不正确" in wrong.text
    reset = post(head_client, f"/office/officers/{li_id}/reset",
                 {"recovery_code": deployment.hospital_recovery_code.lower()})
    assert reset.status_code == 200 and "密码已重置" in reset.text and "继续使用原来的验证器" in reset.text
    new_password = re.search(r'id="initial-password">([^<]+)<', reset.text).group(1)
    with db.transaction() as session:
        li = session.scalar(select(Officer).where(Officer.username == "li"))
        assert li.public_key != old_public
    officer = other_browser(app, db)
    assert officer.login("li", password, secret).status_code == 400
    assert officer.login("li", new_password, secret).status_code == 303
    assert MARKER in officer.client.get(f"/office/submissions/{report}").text


def test_an_administrator_manages_accounts_without_keys_and_the_head_grants(app, db, deployment, department,
                                                                          settings, head_client):
    report = store_sealed_report(db, deployment, department, MARKER)
    admin = add_officer(db, settings, deployment, "it", role=Role.ADMIN,
                        with_keys=False)
    it = other_browser(app, db)
    assert it.login("it", PASSWORD, admin.totp_secret).status_code == 303
    created = post(it.client, "/office/officers", {"display_name": "周干部", "username": "zhou", "role": "officer"})
    password, secret = credentials(created.text)
    assert "未授予（不能查阅内容）" in created.text
    zhou = other_browser(app, db)
    zhou.login("zhou", password, secret)
    assert zhou.client.get("/office/clues").status_code == 403
    with db.transaction() as session:
        zhou_id = session.scalar(select(Officer.id).where(Officer.username == "zhou"))
    assert post(it.client, f"/office/officers/{zhou_id}/grant", {}).status_code == 403  # only a head grants
    assert post(head_client, f"/office/officers/{zhou_id}/grant", {}).status_code == 303
    zhou.logout()
    zhou.login("zhou", password, secret)
    assert MARKER in zhou.client.get(f"/office/submissions/{report}").text
    assert it.client.get(f"/office/submissions/{report}").status_code == 403
