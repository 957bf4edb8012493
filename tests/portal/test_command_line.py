"""The `portal` command: set-up, officers, and clear messages (never a traceback) for bad input."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from portal.models import KeyGrant, Officer

ROOT = Path(__file__).resolve().parents[2]
# These run the real command on its embedded SQLite default; the PostgreSQL run of the suite need not repeat them.
pytestmark = pytest.mark.skipif(bool(os.environ.get("PORTAL_TEST_DATABASE_URL")),
                                reason="the command line is tested on its SQLite default in the SQLite run")
PASSWORD = "a long enough password"


def portal(home: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update({"PORTAL_HOME": str(home), "PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], input=stdin, capture_output=True, text=True,
                          env=environment, timeout=120, check=False)


def init(home: Path) -> subprocess.CompletedProcess:
    return portal(home, "init", "--hospital", "测试医院", "--hospital-code", "t1", "--authority", "测试纪检组",
                  "--username", "wang", "--demo-departments", stdin=PASSWORD + "\n")


def officers(home: Path) -> list[tuple[str, str, bool, int]]:
    engine = create_engine(f"sqlite:///{home / 'portal.db'}")
    with Session(engine) as session:
        rows = session.execute(select(Officer.username, Officer.role, Officer.active, Officer.id)).all()
        grants = {officer_id for (officer_id,) in session.execute(select(KeyGrant.officer_id))}
    engine.dispose()
    return [(name, str(role), active, int(oid in grants)) for name, role, active, oid in rows]


def test_init_sets_up_a_deployment_and_prints_the_recovery_codes_once(tmp_path):
    result = init(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "RECOVERY CODES" in result.stdout and "TOTP secret" in result.stdout
    assert oct((tmp_path / "secret.key").stat().st_mode & 0o777) == "0o600"
    assert officers(tmp_path) == [("wang", "head", True, 1)]
    again = init(tmp_path)
    assert again.returncode == 2 and "already set up" in again.stderr and "Traceback" not in again.stderr


def test_officers_are_added_with_a_grant_or_the_recovery_code_and_removed(tmp_path):
    first = init(tmp_path)
    recovery = next(line.split()[-1] for line in first.stdout.splitlines() if "hospital office:" in line)
    added = portal(tmp_path, "officer", "add", "--office", "t1", "--username", "li", "--granted-by", "wang",
                   stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    assert "1 office key(s) granted" in added.stdout
    by_recovery = portal(tmp_path, "officer", "add", "--office", "t1", "--username", "zhang", "--role", "head",
                         "--recovery", stdin=f"{recovery.lower()}\n{PASSWORD}\n")
    assert by_recovery.returncode == 0, by_recovery.stderr
    admin = portal(tmp_path, "officer", "add", "--office", "t1", "--username", "it", "--role", "admin",
                   stdin=f"{PASSWORD}\n")
    assert admin.returncode == 0, admin.stderr
    removed = portal(tmp_path, "officer", "remove", "--username", "li")
    assert removed.returncode == 0
    assert sorted(officers(tmp_path)) == [("it", "admin", True, 0), ("li", "officer", False, 0),
                                         ("wang", "head", True, 1), ("zhang", "head", True, 1)]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("officer", "add", "--office", "t1", "--username", "x", "--granted-by", "wang"), "wrong password\n",
         "wrong password"),
        (("officer", "add", "--office", "t1", "--username", "x", "--recovery"), "AAAAA-AAAAA\n",
         "recovery code"),
        (("officer", "add", "--office", "nowhere", "--username", "x", "--recovery"), "", "no office"),
        (("officer", "add", "--office", "t1", "--username", "x"), "", "--granted-by"),
        (("officer", "remove", "--username", "ghost"), "", "no active officer"),
    ],
)
def test_bad_officer_commands_say_what_is_wrong(tmp_path, args, stdin, message):
    init(tmp_path)
    result = portal(tmp_path, *args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_missing_or_corrupt_secret_or_a_wrong_database_url_is_explained(tmp_path):
    missing = portal(tmp_path, "migrate")
    assert missing.returncode == 2 and "portal init" in missing.stderr
    (tmp_path / "secret.key").write_text("not hex at all\n")
    corrupt = portal(tmp_path, "migrate")
    assert corrupt.returncode == 2 and "corrupt" in corrupt.stderr
    (tmp_path / "secret.key").write_text("00" * 32 + "\n")
    wrong_url = portal(tmp_path, "migrate", env={"PORTAL_DATABASE_URL": "mysql-ish:/nonsense"})
    assert wrong_url.returncode == 2 and "database URL" in wrong_url.stderr
    unreachable = portal(tmp_path, "migrate", env={"PORTAL_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert unreachable.returncode == 2 and "cannot reach the database" in unreachable.stderr
    for result in (missing, corrupt, wrong_url, unreachable):
        assert "Traceback" not in result.stderr


def test_a_half_applied_set_up_is_refused_with_advice(tmp_path):
    (tmp_path / "secret.key").write_text("00" * 32 + "\n")
    engine = create_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE hospitals (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    result = portal(tmp_path, "migrate")
    assert result.returncode == 2 and "half-applied" in result.stderr


def test_wrong_arguments_print_usage_not_a_traceback(tmp_path):
    result = portal(tmp_path, "officer", "add", "--office")
    assert result.returncode == 2 and "usage:" in result.stderr and "Traceback" not in result.stderr


def test_demo_sets_up_once_and_prints_a_working_login(tmp_path):
    first = portal(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    second = portal(tmp_path, "demo", "--no-serve")
    assert second.returncode == 0 and "RECOVERY CODES" not in second.stdout
    secret = next(line.split()[2] for line in second.stdout.splitlines() if line.strip().startswith("TOTP secret"))
    assert pyotp.TOTP(secret).now() in second.stdout
    assert [name for name, *_ in officers(tmp_path)] == ["demo"]


def test_serve_answers_and_logs_no_client_address(tmp_path):
    import socket
    import time
    import urllib.request

    assert portal(tmp_path, "demo", "--no-serve").returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update({"PORTAL_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    server = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", "--port", str(port)], env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    assert "server" not in {k.lower() for k in response.headers}
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for path in ("/office/login", "/q/nothing", "/no/such/page"):
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).close()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Serving on" in output
    assert "127.0.0.1:" not in output.replace(f"http://127.0.0.1:{port}/", "")
    assert "GET /" not in output
