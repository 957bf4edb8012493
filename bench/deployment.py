"""A deployment set up the way `portal demo` does it, in a temporary directory, and an officer logged in once."""

from __future__ import annotations

import http.client
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pyotp
from sqlalchemy import insert, inspect, select, text

from crypto import OWASP_MINIMUM, load_public_key, seal
from intake.db import Base, new_id, this_hour
from intake.models import Audience, Department, Poster, Submission, SubmissionKind
from intake.sealing import encode_payload, submission_context
from portal.bootstrap import DEMO_DEPARTMENTS, initialise
from portal.db import Database, make_engine, migrate
from portal.keyring import current_key
from portal.settings import write_secret_file

USERNAME = "bench"


@dataclass
class Deployment:
    label: str
    home: Path
    database_url: str
    password: str
    totp_secret: str
    patient_code: str  # a clinical department's patient poster
    office_id: int
    hospital_id: int
    department_id: int
    office_public_key: bytes
    seeded: int = 0
    officer_cookie: str = ""

    def env(self) -> dict[str, str]:
        # Every request comes from one loopback address: lift the per-client open-rating limit for the run.
        return {"PORTAL_HOME": str(self.home), "PORTAL_DATABASE_URL": self.database_url,
                "PORTAL_SECRET_FILE": str(self.home / "secret.key"), "PORTAL_OPEN_RATINGS_PER_HOUR": "1000000000"}


class DatabaseNotEmpty(Exception):
    """The PostgreSQL database holds tables and --pg-reset was not given."""


def reset_postgres(url: str, *, allowed: bool) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = inspect(connection).get_table_names()
            if tables and not allowed:
                raise DatabaseNotEmpty(
                    f"{url} holds {len(tables)} tables: the benchmark needs an empty database, or --pg-reset "
                    "to drop everything in its public schema"
                )
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def create(label: str, home: Path, database_url: str, *, seed: int) -> Deployment:
    """Migrate, initialise the demo hospital (OWASP Argon2 parameters, as in production), seed sealed items."""
    home.mkdir(parents=True, exist_ok=True)
    secret = write_secret_file(home / "secret.key")
    database = Database(make_engine(database_url))
    try:
        migrate(database.engine)
        password = secrets.token_urlsafe(16)
        with database.transaction() as session:
            done = initialise(
                session,
                authority_name="示例市卫生健康委员会驻委纪检监察组", authority_hotline="0771-12388",
                hospital_name="示例市第一人民医院", hospital_code="demo", hospital_hotline="0771-5550100",
                departments=DEMO_DEPARTMENTS, username=USERNAME, display_name="压测纪检干部",
                password=password, params=OWASP_MINIMUM, secret=secret,
            )
            totp = done.officer.totp_secret
            office_id, hospital_id = done.office.id, done.hospital.id
        with database.transaction() as session:
            department = session.scalar(select(Department).where(Department.name == "心血管内科"))
            assert department is not None
            code = session.scalar(select(Poster.code).where(Poster.department_id == department.id,
                                                            Poster.audience == Audience.PATIENT))
            assert code is not None
            public = current_key(session, office_id).public_key
        deployment = Deployment(label=label, home=home, database_url=database_url, password=password,
                                totp_secret=totp, patient_code=code, office_id=office_id, hospital_id=hospital_id,
                                department_id=department.id, office_public_key=public)
        seed_submissions(database, deployment, seed)
        return deployment
    finally:
        database.engine.dispose()


def seed_submissions(database: Database, deployment: Deployment, count: int, *, batch: int = 5000) -> None:
    """Sealed reports in the office's inbox, inserted in bulk (Core), each a real envelope."""
    public = load_public_key(deployment.office_public_key)
    context = submission_context(kind=SubmissionKind.REPORT, hospital_id=deployment.hospital_id,
                                 department_id=deployment.department_id)
    hour = this_hour()
    table = Base.metadata.tables[Submission.__tablename__]
    done = 0
    while done < count:
        rows = []
        for number in range(done, min(count, done + batch)):
            payload = encode_payload({"v": 1, "fields": {"what": f"压测举报 {number}"}, "attachments": []})
            rows.append({"id": new_id(), "kind": SubmissionKind.REPORT.value, "office_id": deployment.office_id,
                         "hospital_id": deployment.hospital_id, "department_id": deployment.department_id,
                         "envelope": seal(public, payload, associated_data=context), "identity_envelope": None,
                         "sealed_in_browser": False, "status": "received", "created_hour": hour})
        with database.engine.begin() as connection:
            connection.execute(insert(table), rows)
        done += len(rows)
    deployment.seeded = count


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("set-cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def csrf_pair(host: str, port: int) -> tuple[str, str]:
    """A CSRF cookie and the token the pages derive from it (as a browser would get them)."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("GET", "/office/login")
    response = connection.getresponse()
    html = response.read().decode()
    connection.close()
    cookie = _cookies(response)["hip_csrf"]
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("the login page carries no CSRF token")
    return cookie, match.group(1)


def log_in(deployment: Deployment, host: str, port: int) -> str:
    """Log the officer in once through the login form; the session lives in the database for every server."""
    csrf_cookie, token = csrf_pair(host, port)
    body = urlencode({"csrf_token": token, "username": USERNAME, "password": deployment.password,
                      "totp": pyotp.TOTP(deployment.totp_secret).now()})
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request("POST", "/office/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"hip_csrf={csrf_cookie}",
        "Sec-Fetch-Site": "same-origin"})
    response = connection.getresponse()
    response.read()
    connection.close()
    cookie = _cookies(response).get("hip_office", "")
    if response.status != 303 or not cookie:
        raise RuntimeError(f"the officer login failed with HTTP {response.status}")
    deployment.officer_cookie = cookie
    return cookie
