"""Fixtures for every test: a fresh database per test (SQLite, or PostgreSQL when a URL is given),
a deployment set up as `portal init` would, and helpers that act like a person at the browser."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from starlette.testclient import TestClient

from crypto import INSECURE_FAST_FOR_TESTS
from intake.db import Base
from intake.models import Department
from portal.app import PortalApp, create_app
from portal.bootstrap import DEMO_DEPARTMENTS, Initialised, initialise
from portal.db import Database, make_engine, migrate
from portal.settings import DeploymentSecret, Settings
from tests.helpers import PASSWORD, OfficerActions

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip()
BASE_URL = "http://testserver"


@pytest.fixture(scope="session")
def pg_engine():  # type: ignore[no-untyped-def]
    """One PostgreSQL schema for the run, migrated once; tests empty it before they start."""
    if not PG_URL:
        yield None
        return
    engine = make_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(tmp_path, pg_engine) -> str:  # type: ignore[no-untyped-def]
    return PG_URL if pg_engine is not None else f"sqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture
def db(database_url, pg_engine) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    if pg_engine is not None:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with pg_engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield Database(pg_engine)
        return
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield Database(engine)
    engine.dispose()


@pytest.fixture
def settings(database_url) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        database_url=database_url,
        secret=DeploymentSecret(secrets.token_bytes(32)),
        argon2=INSECURE_FAST_FOR_TESTS,
        sqlite_synchronous="NORMAL",
    )


@pytest.fixture
def app(settings, db) -> PortalApp:  # type: ignore[no-untyped-def]
    return create_app(settings, database=db, run_migrations=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def deployment(db, settings) -> Initialised:  # type: ignore[no-untyped-def]
    """The demo hospital with its departments, its office and first head, and the authority."""
    with db.transaction() as session:
        return initialise(
            session,
            authority_name="示例市卫健委驻委纪检监察组", authority_hotline="0771-12388",
            hospital_name="示例市第一人民医院", hospital_code="demo", hospital_hotline="0771-5550100",
            departments=DEMO_DEPARTMENTS, username="head", display_name="王主任", password=PASSWORD,
            params=settings.argon2, secret=settings.secret,
        )


@pytest.fixture
def department(db, deployment) -> Department:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        found = session.scalar(select(Department).where(Department.name == "心血管内科"))
        assert found is not None
        return found


@pytest.fixture
def officer_actions(client, db) -> OfficerActions:  # type: ignore[no-untyped-def]
    return OfficerActions(client, db)


@pytest.fixture
def head_client(officer_actions, deployment) -> TestClient:  # type: ignore[no-untyped-def]
    """A client logged in as the hospital office's head."""
    response = officer_actions.login("head", PASSWORD, deployment.officer.totp_secret)
    assert response.status_code == 303, response.text
    return officer_actions.client

