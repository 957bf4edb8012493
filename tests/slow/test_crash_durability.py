"""Crash durability: 1,000 concurrent reports against a real `portal serve`, killed with SIGKILL at a random
moment, ten times. Every receipt the server acknowledged (a receipt page fully received) opens afterwards through
/follow, and what it opens is byte for byte what was sent; the database passes its integrity check after every
kill; no row or temporary file is left half-written."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from intake.attachments import open_attachment
from intake.db import utcnow
from intake.followup import COOKIE, open_session
from intake.models import Attachment, Office, OfficeKind, Submission
from intake.sealing import decode_payload, submission_context
from portal.app import create_app
from portal.keyring import recovery_keyring
from tests.reporting import receipt_on, tiny_pdf
from tests.slow.live import Home, init_home, serve

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(os.environ.get("PORTAL_TEST_DATABASE_URL")),
                                 reason="kills the embedded SQLite server; PostgreSQL's durability is its own")]
RUNS = 10
SUBMISSIONS = 1000
CONNECTIONS = 100


@dataclass(frozen=True)
class Sent:
    what: str
    pdf: bytes | None


def poster(home: Home) -> str:
    with sqlite3.connect(home.path / "portal.db") as connection:
        (code,) = connection.execute("SELECT code FROM posters WHERE audience='patient' AND department_id IS NOT NULL "
                                     "ORDER BY code LIMIT 1").fetchone()
    connection.close()
    return str(code)


async def fire(url: str, code: str, *, run: int, kill_after: float, kill) -> dict[str, Sent]:  # type: ignore[no-untyped-def]
    acknowledged: dict[str, Sent] = {}
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        form = await client.get(f"/q/{code}/report")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]

        async def one(n: int) -> None:
            sent = Sent(what=f"第{run}轮第{n}份举报：收了红包 {os.urandom(6).hex()}",
                        pdf=tiny_pdf(f"run {run} file {n} " + os.urandom(8).hex()) if n % 4 == 0 else None)
            files = [("files", ("e.pdf", sent.pdf, "application/pdf"))] if sent.pdf else \
                [("files", ("", b"", "application/octet-stream"))]
            try:
                response = await client.post(f"/report/{code}", data={"csrf_token": token, "category": "kickback",
                                                                        "what": sent.what}, files=files)
            except httpx.HTTPError:
                return  # the server died first: never acknowledged
            if response.status_code == 200:
                if not acknowledged:  # the kill comes at a random moment once reports are flowing
                    asyncio.get_running_loop().call_later(kill_after, kill)
                acknowledged[receipt_on(response.text)] = sent

        asyncio.get_running_loop().call_later(60, kill)  # in case nothing is ever acknowledged
        await asyncio.gather(*(one(n) for n in range(SUBMISSIONS)))
    return acknowledged


def integrity_and_orphans(home: Home) -> None:
    with sqlite3.connect(home.path / "portal.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        checks = {
            "attachment without report": "SELECT count(*) FROM attachments a LEFT JOIN submissions s "
                                         "ON s.id = a.submission_id WHERE s.id IS NULL",
            "chunk without attachment": "SELECT count(*) FROM attachment_chunks c LEFT JOIN attachments a "
                                        "ON a.id = c.attachment_id WHERE a.id IS NULL",
            "receipt without report": "SELECT count(*) FROM receipts r LEFT JOIN submissions s "
                                      "ON s.id = r.submission_id WHERE s.id IS NULL",
            "report without receipt": "SELECT count(*) FROM submissions s LEFT JOIN receipts r "
                                      "ON r.submission_id = s.id WHERE r.lookup IS NULL",
            "attachment with missing chunks": "SELECT count(*) FROM attachments a WHERE a.sealed_size != "
                                              "length(a.header) + (SELECT coalesce(sum(length(data)), 0) "
                                              "FROM attachment_chunks c WHERE c.attachment_id = a.id)",
        }
        for name, query in checks.items():
            assert db.execute(query).fetchone()[0] == 0, name
    db.close()
    assert not [p for p in home.tmp.rglob("*") if p.is_file()], "a temporary file was left behind"


def test_every_acknowledged_report_survives_a_sigkill(tmp_path):
    home = init_home(tmp_path / "home")
    code = poster(home)
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    acknowledged: dict[str, Sent] = {}
    per_run = []
    for run in range(RUNS):
        server = serve(home)
        kill_after = rng.uniform(0.0, 2.5)  # after the first acknowledgement
        try:
            # A thread of its own: an earlier browser test may have left an event loop running in this one.
            with ThreadPoolExecutor(1) as pool:
                got = pool.submit(asyncio.run, fire(server.url, code, run=run, kill_after=kill_after,
                                                    kill=server.kill)).result()
        finally:
            server.kill()
        assert server.process.poll() is not None  # it was killed, not stopped
        integrity_and_orphans(home)
        per_run.append((round(kill_after, 2), len(got)))
        acknowledged.update(got)
    print(f"\ncrash runs (kill after s, acknowledged): {per_run}; total acknowledged {len(acknowledged)}")
    assert all(n for _, n in per_run), per_run

    app = create_app(home.settings)
    secret = home.settings.secret.reveal()
    opened_ids: dict[str, str] = {}
    with TestClient(app) as client:
        for receipt in acknowledged:
            client.cookies.clear()
            page = client.get("/follow")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            opened = client.post("/follow", data={"csrf_token": token, "code": receipt}, follow_redirects=False)
            assert opened.status_code == 303, receipt
            follow = open_session(secret, client.cookies.get(COOKIE), now=utcnow())
            assert follow is not None
            opened_ids[receipt] = follow.submission_id
    with app.db.transaction() as session:
        office = session.scalar(select(Office).where(Office.kind == OfficeKind.HOSPITAL))
        keys = recovery_keyring(session, office=office, code=home.hospital_recovery)
        for receipt, sent in acknowledged.items():
            row = session.get(Submission, opened_ids[receipt])
            payload = decode_payload(keys.open(row.envelope, associated_data=submission_context(
                kind=row.kind, hospital_id=row.hospital_id, department_id=row.department_id)))
            assert payload["fields"]["what"].encode() == sent.what.encode()
            if sent.pdf is not None:
                (described,) = payload["attachments"]
                attachment = session.get(Attachment, described["id"])
                data = b"".join(open_attachment(session, attachment=attachment,
                                                key=base64.b64decode(described["key"])))
                assert data == sent.pdf
    app.db.engine.dispose()
