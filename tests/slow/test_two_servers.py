"""Two server processes on one PostgreSQL database, as behind a load balancer: a login made on one is honoured
by the other, and wrong receipt codes sent to both are counted together."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from intake.models import Throttle
from tests.helpers import PASSWORD, OfficerActions, csrf_of
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip()
pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set PORTAL_TEST_DATABASE_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({"PORTAL_DATABASE_URL": PG_URL, "PORTAL_HOME": str(home), "PYTHONPATH": str(ROOT),
                "PORTAL_SECRET_FILE": str(home / "secret.key")})
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "portal.app:app_from_env",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, f"http://127.0.0.1:{port}"


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(base + "/", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


@pytest.fixture
def two_servers(tmp_path, db, settings, deployment) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    (tmp_path / "secret.key").write_text(settings.secret.reveal().hex() + "\n")  # one secret file, shared
    started = [_start(tmp_path), _start(tmp_path)]
    try:
        for process, base in started:
            _wait(base, process)
        yield started[0][1], started[1][1]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()


def test_login_on_one_read_on_the_other_and_one_receipt_throttle(two_servers, db, deployment):
    first, second = two_servers
    with httpx.Client(base_url=first) as a, httpx.Client(base_url=second) as b:
        assert OfficerActions(a, db).login("head", PASSWORD, deployment.officer.totp_secret).status_code == 303
        b.cookies.update(a.cookies)
        work = b.get("/office/work")
        assert work.status_code == 200 and "王主任" in work.text

        receipt = receipt_on(Reporter(a).file(poster_code(db), FULL_REPORT).text)
        # Ten wrong codes, five to each server: each alone counted five, under the limit of ten.
        for n in range(10):
            client = a if n % 2 else b
            wrong = client.post("/follow", data={"csrf_token": csrf_of(client.get("/follow").text),
                                                 "code": f"{n:04d}" * 5})
            assert wrong.status_code == 400
        with db.transaction() as session:
            counts = [t.count for t in session.scalars(select(Throttle).where(Throttle.scope == "receipt"))]
        assert counts == [10]
        # So the right code is refused too, on either server, until the window ends.
        right = b.post("/follow", data={"csrf_token": csrf_of(b.get("/follow").text), "code": receipt})
        assert right.status_code == 400
