"""Officer login: password and TOTP, one answer for every failure, throttling, sessions, logout."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from intake.db import utcnow
from portal.auth import COOKIE
from portal.models import AuditEvent, OfficerSession
from tests.helpers import PASSWORD, csrf_of

WRONG = "用户名、密码或动态验证码不正确。"


def test_head_logs_in_and_sees_the_inbox(officer_actions, deployment, client):
    response = officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    assert response.status_code == 303 and response.headers["location"] == "/office/"
    page = client.get("/office/")
    assert page.status_code == 200
    assert "收件箱" in page.text and "王主任" in page.text


def test_wrong_password_wrong_totp_and_unknown_user_read_the_same(officer_actions, deployment, client):
    totp = deployment.officer.totp_secret
    answers = [
        officer_actions.login("head", "not the password at all", totp),
        officer_actions.login("nobody", PASSWORD, totp),
        client.post("/office/login", data={"csrf_token": csrf_of(client.get("/office/login").text),
                                           "username": "head", "password": PASSWORD, "totp": "000000"}),
    ]
    assert {a.status_code for a in answers} == {400}
    for answer in answers:
        assert WRONG in answer.text
        assert COOKIE not in answer.headers.get("set-cookie", "")


def test_a_used_totp_code_is_refused_the_second_time(client, deployment):
    code = pyotp.TOTP(deployment.officer.totp_secret).now()
    for expected in (303, 400):
        token = csrf_of(client.get("/office/login").text)
        client.cookies.delete(COOKIE)
        response = client.post("/office/login", data={"csrf_token": token, "username": "head",
                                                     "password": PASSWORD, "totp": code}, follow_redirects=False)
        assert response.status_code == expected


def test_repeated_failures_lock_the_account_even_for_the_right_password(officer_actions, deployment, settings):
    for _ in range(settings.login_failures_allowed):
        assert officer_actions.login("head", "wrong password!!", deployment.officer.totp_secret).status_code == 400
    locked = officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    assert locked.status_code == 429
    assert "锁定" in locked.text


def test_logout_is_a_post_and_deletes_the_session(officer_actions, deployment, client, db):
    officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    assert client.get("/office/logout").status_code == 405
    assert officer_actions.logout().status_code == 303
    with db.transaction() as session:
        assert session.scalars(select(OfficerSession)).all() == []
    assert client.get("/office/", follow_redirects=False).headers["location"] == "/office/login"


def test_an_idle_session_expires(officer_actions, deployment, client, db, settings):
    officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    with db.transaction() as session:
        session.execute(update(OfficerSession).values(last_seen_at=utcnow() - settings.session_idle - timedelta(1)))
    assert client.get("/office/", follow_redirects=False).status_code == 303


def test_the_session_row_opens_nothing_without_the_key_in_the_cookie(officer_actions, deployment, client):
    """Given a live session, when the cookie keeps its session id but loses its key, then nothing opens."""
    officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    raw = base64.urlsafe_b64decode(client.cookies[COOKIE])
    forged = base64.urlsafe_b64encode(raw[:32] + secrets.token_bytes(32)).decode()
    client.cookies.clear()
    client.cookies.set(COOKIE, forged, domain="testserver.local", path="/office")
    # (the same call with the genuine value is accepted: the forged key alone makes the difference)
    assert client.get("/office/", follow_redirects=False).status_code == 303


def test_logins_and_failures_are_audited(officer_actions, deployment, db):
    officer_actions.login("head", "wrong password!!", deployment.officer.totp_secret)
    officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    with db.transaction() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login_failed", "login"]


def test_a_cross_site_login_post_is_refused(client, deployment):
    token = csrf_of(client.get("/office/login").text)
    response = client.post("/office/login", headers={"sec-fetch-site": "cross-site"},
                           data={"csrf_token": token, "username": "head", "password": PASSWORD, "totp": "1"})
    assert response.status_code == 403


def test_a_post_without_the_csrf_token_is_refused(client, deployment):
    client.get("/office/login")
    response = client.post("/office/login", data={"username": "head", "password": PASSWORD, "totp": "123456"})
    assert response.status_code == 403
