"""Helpers that let tests act like a person at the browser."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyotp
from sqlalchemy import select, update
from starlette.testclient import TestClient

from intake.models import Audience, Department, Poster
from portal.db import Database
from portal.models import Officer

PASSWORD = "correct horse battery staple"


def office_login(page, base: str, totp_secret: str, *, username: str = "head") -> None:  # type: ignore[no-untyped-def]
    """Log an officer in through the login page of a real browser (Playwright), and wait until it has left it."""
    page.goto(f"{base}/office/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=totp]", pyotp.TOTP(totp_secret).now())
    page.click("button.primary")
    page.wait_for_url(lambda url: "/office/login" not in url)


def poster_code(db: Database, *, department_name: str | None, audience: Audience = Audience.PATIENT) -> str:
    """The code printed on a poster: a department's (by name) or the hospital-wide one (None)."""
    with db.transaction() as session:
        query = select(Poster.code).where(Poster.audience == audience)
        if department_name is None:
            query = query.where(Poster.department_id.is_(None))
        else:
            query = query.join(Department).where(Department.name == department_name)
        code = session.scalar(query)
        assert code
        return code


def csrf_of(html: str) -> str:
    """The CSRF token a page put in its forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class OfficerActions:
    """Log an officer in and out the way a person does, through the pages."""

    client: TestClient
    db: Database

    def login(self, username: str, password: str, totp_secret: str):  # type: ignore[no-untyped-def]
        # A TOTP code is accepted once: forget the last one used, as if 30 seconds had passed.
        with self.db.transaction() as session:
            session.execute(update(Officer).where(Officer.username == username).values(last_totp_step=0))
        token = csrf_of(self.client.get("/office/login").text)
        return self.client.post(
            "/office/login",
            data={"csrf_token": token, "username": username, "password": password,
                  "totp": pyotp.TOTP(totp_secret).now()},
            follow_redirects=False,
        )

    def logout(self):  # type: ignore[no-untyped-def]
        token = csrf_of(self.client.get("/office/").text)
        return self.client.post("/office/logout", data={"csrf_token": token}, follow_redirects=False)
