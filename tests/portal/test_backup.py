"""`portal backup` and `portal restore`: consistent while reports arrive, sealed data only, and a restore that
refuses a damaged or foreign backup with a clear message; what was acknowledged is readable after a restore."""

from __future__ import annotations

import io
import json
import os
import secrets
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from intake.models import Submission
from intake.sealing import decode_payload, submission_context
from portal.backup import BackupError, restore_backup, take_backup
from portal.db import Database, make_engine
from portal.keyring import recovery_keyring
from portal.settings import DeploymentSecret
from tests.commands import portal_command
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on

pytestmark = pytest.mark.skipif(bool(os.environ.get("PORTAL_TEST_DATABASE_URL")),
                                reason="`portal backup` copies SQLite; PostgreSQL deployments use pg_dump")
CANARY = "BK7-CANARY-备份"


def canary_forms() -> list[bytes]:
    return [CANARY.encode(), CANARY.encode("utf-16-le"), json.dumps(CANARY).encode()[1:-1], b"BK7-CANARY"]


def opened_texts(database: Database, deployment) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        keys = recovery_keyring(session, office=deployment.office, code=deployment.hospital_recovery_code)
        found = {}
        for row in session.scalars(select(Submission)):
            payload = decode_payload(keys.open(row.envelope, associated_data=submission_context(
                kind=row.kind, hospital_id=row.hospital_id, department_id=row.department_id)))
            found[row.id] = payload["fields"]["what"]
        return found


def test_a_backup_taken_while_reports_arrive_restores_every_acknowledged_one(app, client, db, settings, deployment,
                                                                            tmp_path):
    code = poster_code(db)
    for n in range(5):
        assert Reporter(client).file(code, {**FULL_REPORT, "what": f"{CANARY}-{n}"}).status_code == 200
    acknowledged = opened_texts(db, deployment)
    stop = threading.Event()
    during: list[str] = []

    def keep_reporting() -> None:
        with TestClient(app) as other:
            n = 100
            while not stop.is_set():
                page = Reporter(other).file(code, {**FULL_REPORT, "what": f"{CANARY}-{n}"})
                during.append(receipt_on(page.text))
                n += 1

    writer = threading.Thread(target=keep_reporting)
    writer.start()
    try:
        while len(during) < 2:
            stop.wait(0.01)
        info = take_backup(db, secret=settings.secret, out=tmp_path / "b.hipbak")
    finally:
        stop.set()
        writer.join()
    assert len(during) >= 2 and info.submissions >= len(acknowledged)

    raw = (tmp_path / "b.hipbak").read_bytes()
    for form in canary_forms():
        assert form not in raw
    with tarfile.open(tmp_path / "b.hipbak") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest["submissions"] == info.submissions and len(manifest["sha256"]) == 64
    assert settings.secret.reveal().hex() not in raw.decode("latin-1")

    target = tmp_path / "restored" / "portal.db"
    target.parent.mkdir()
    assert restore_backup(tmp_path / "b.hipbak", secret=settings.secret, target=target) == info.submissions
    restored = Database(make_engine(f"sqlite:///{target}"))
    texts = opened_texts(restored, deployment)
    for submission_id, what in acknowledged.items():
        assert texts[submission_id] == what
    restored.engine.dispose()


def test_a_damaged_or_foreign_backup_is_refused_and_the_database_left_alone(db, settings, deployment, tmp_path):
    backup = tmp_path / "b.hipbak"
    take_backup(db, secret=settings.secret, out=backup)
    target = tmp_path / "live.db"
    target.write_bytes(b"the live database")

    with pytest.raises(BackupError, match="exists"):
        restore_backup(backup, secret=settings.secret, target=target)
    with pytest.raises(BackupError, match="another deployment"):
        restore_backup(backup, secret=DeploymentSecret(secrets.token_bytes(32)), target=target, force=True)

    damaged = tmp_path / "damaged.hipbak"
    with tarfile.open(backup) as source, tarfile.open(damaged, "w") as sink:
        for member in source.getmembers():
            data = bytearray(source.extractfile(member).read())  # type: ignore[union-attr]
            if member.name == "portal.db":
                data[len(data) // 2] ^= 0xFF
            member.size = len(data)
            sink.addfile(member, io.BytesIO(bytes(data)))
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(damaged, secret=settings.secret, target=target, force=True)

    truncated = tmp_path / "truncated.hipbak"
    truncated.write_bytes(backup.read_bytes()[:700])
    with pytest.raises(BackupError, match=r"not a portal backup|damaged"):
        restore_backup(truncated, secret=settings.secret, target=target, force=True)
    not_a_backup = tmp_path / "photo.jpg"
    not_a_backup.write_bytes(b"\xff\xd8\xff" + os.urandom(2000))
    with pytest.raises(BackupError, match="not a portal backup"):
        restore_backup(not_a_backup, secret=settings.secret, target=target, force=True)
    assert target.read_bytes() == b"the live database"
    assert restore_backup(backup, secret=settings.secret, target=target, force=True) >= 0


def test_the_commands_say_what_happened(tmp_path: Path):
    home = tmp_path / "home"
    assert portal_command(home, "init", "--hospital", "测试医院", "--hospital-code", "t1", "--authority", "纪检组",
                          "--username", "wang", stdin="a long enough password\n").returncode == 0
    made = portal_command(home, "backup", str(tmp_path / "one.hipbak"))
    assert made.returncode == 0 and "sha256" in made.stdout, made.stderr
    again = portal_command(home, "backup", str(tmp_path / "one.hipbak"))
    assert again.returncode == 2 and "exists already" in again.stderr and "Traceback" not in again.stderr
    refused = portal_command(home, "restore", str(tmp_path / "one.hipbak"))
    assert refused.returncode == 2 and "--force" in refused.stderr
    done = portal_command(home, "restore", "--force", str(tmp_path / "one.hipbak"))
    assert done.returncode == 0 and "Restored 0 submission(s)" in done.stdout, done.stderr
    other = tmp_path / "other"
    assert portal_command(other, "init", "--hospital", "别的医院", "--hospital-code", "t2", "--authority", "纪检组",
                          "--username", "li", stdin="a long enough password\n").returncode == 0
    foreign = portal_command(other, "restore", "--force", str(tmp_path / "one.hipbak"))
    assert foreign.returncode == 2 and "another deployment" in foreign.stderr
    purged = portal_command(home, "purge", "--dry-run")
    assert purged.returncode == 0 and "Would delete 0 report(s) older than 1825 days" in purged.stdout
