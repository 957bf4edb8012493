"""`portal rollup` counts new ratings with an officer's password or the office's recovery code."""

from __future__ import annotations

import io
import sys

import pytest
from alembic import command
from sqlalchemy import func, select

from intake.rating_models import Rating
from portal import cli
from portal.db import alembic_config
from tests.helpers import PASSWORD
from tests.rating_helpers import GOOD, store_rating


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path, db, deployment):  # type: ignore[no-untyped-def]
    if db.is_sqlite:  # the test database was made with create_all: record it as migrated, as `portal init` would
        command.stamp(alembic_config(db.engine), "heads")
    secret = tmp_path / "secret.key"
    secret.write_text(settings.secret.reveal().hex())
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PORTAL_SECRET_FILE", str(secret))


def run(monkeypatch, capsys, args: list[str], stdin: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def uncounted(db) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).where(Rating.counted.is_(False))))


def test_rollup_with_an_officer_password_counts_every_rating(cli_env, monkeypatch, capsys, db, deployment):
    for _ in range(5):
        store_rating(db, deployment, department=None, answers=GOOD)
    code, out = run(monkeypatch, capsys, ["rollup", "--username", "head", "--workers", "2"], PASSWORD + "\n")
    assert code == 0, out
    assert "Counted 5 rating(s)" in out and uncounted(db) == 0


def test_rollup_with_the_recovery_code_and_a_wrong_password(cli_env, monkeypatch, capsys, db, deployment):
    store_rating(db, deployment, department=None, answers=GOOD, comment="意见")
    code, out = run(monkeypatch, capsys, ["rollup", "--username", "head"], "wrong password\n")
    assert code == 2 and "wrong password" in out and uncounted(db) == 1
    code, out = run(monkeypatch, capsys, ["rollup", "--recovery", "--office", "demo", "--workers", "1"],
                    deployment.hospital_recovery_code + "\n")
    assert code == 0 and "1 alert(s)" in out and uncounted(db) == 0
