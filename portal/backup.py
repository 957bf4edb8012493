"""Backups: a consistent copy of the (sealed) database with a manifest, and a restore that refuses what it should.

A backup is one tar file: `manifest.json` and `portal.db` (SQLite, written by `VACUUM INTO`, a consistent snapshot
taken while submissions keep arriving). It holds what the database holds: ciphertext, lookup hashes, public keys.
The deployment secret is NOT in it (keep it apart, as `portal init` says); the manifest carries a fingerprint of
that secret so that a restore refuses another deployment's backup, and the office public keys it was taken with.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from crypto import hkdf
from intake.db import utcnow
from intake.models import OfficeKey
from portal.db import Database
from portal.settings import DeploymentSecret

FORMAT = "hip-backup-1"
DB_MEMBER = "portal.db"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup cannot be taken or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    submissions: int
    sha256: str


def fingerprint(secret: DeploymentSecret) -> str:
    """Names the deployment without revealing its secret."""
    return hkdf(secret.reveal(), info=b"hip-backup-fingerprint-v1", length=16).hex()


def sqlite_path(engine: Engine) -> Path:
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            "`portal backup` copies the embedded SQLite database. For PostgreSQL use "
            "`pg_dump --format=custom` (it is consistent while the portal runs) and keep the deployment secret "
            "apart; see SECURITY.md"
        )
    return Path(url.database)


def _office_keys(connection: sqlite3.Connection) -> list[str]:
    return sorted(row[0].hex() for row in connection.execute("SELECT public_key FROM office_keys"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def take_backup(database: Database, *, secret: DeploymentSecret, out: Path) -> BackupInfo:
    """Write a consistent snapshot and its manifest to `out` (a new file; an existing one is not overwritten)."""
    sqlite_path(database.engine)
    if out.exists():
        raise BackupError(f"{out} exists already: give a new file name")
    with database.transaction() as session:
        office_keys = sorted(k.hex() for k in session.scalars(select(OfficeKey.public_key)))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
        snapshot = Path(work) / DB_MEMBER
        raw = database.engine.raw_connection()
        try:
            # One statement, one read transaction: a consistent copy while writers go on (WAL), compacted, with
            # no free pages carrying deleted data.
            raw.driver_connection.execute("VACUUM INTO ?", (str(snapshot),))  # type: ignore[union-attr]
        finally:
            raw.close()
        with sqlite3.connect(snapshot) as check:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the snapshot failed its integrity check: the database itself may be damaged")
            submissions = int(check.execute("SELECT count(*) FROM submissions").fetchone()[0])
        check.close()
        manifest = {"format": FORMAT, "created_at": utcnow().isoformat(timespec="seconds"),
                    "deployment": fingerprint(secret), "office_public_keys": office_keys,
                    "submissions": submissions, "sha256": _sha256(snapshot), "bytes": snapshot.stat().st_size}
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            entry = tarfile.TarInfo(MANIFEST)
            entry.size = len(body)
            entry.mode = 0o600
            archive.addfile(entry, io.BytesIO(body))
            archive.add(snapshot, arcname=DB_MEMBER)
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    return BackupInfo(path=out, submissions=submissions, sha256=str(manifest["sha256"]))


def _read_manifest(archive: tarfile.TarFile) -> dict[str, object]:
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        if handle is None:
            raise KeyError(MANIFEST)
        manifest = json.loads(handle.read(1 << 20).decode("utf-8"))
    except (KeyError, ValueError):
        raise BackupError("this file is not a portal backup (no readable manifest)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("this file is not a portal backup of a format this version knows")
    return manifest


def restore_backup(backup: Path, *, secret: DeploymentSecret, target: Path, force: bool = False) -> int:
    """Check a backup (checksum, deployment, office keys, integrity) and put it in place; return its submissions.

    The portal must be stopped. The current database is replaced only after every check has passed.
    """
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    if target.exists() and not force:
        raise BackupError(f"a database exists at {target}: stop the portal and give --force to replace it")
    try:
        archive = tarfile.open(backup, "r")  # noqa: SIM115 (closed by the `with` below, after the checks)
    except (tarfile.TarError, OSError):
        raise BackupError("this file is not a portal backup, or it is damaged (not a readable archive)") from None
    with archive, tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as work:
        try:
            submissions = _checked_copy(archive, secret=secret, staged=Path(work) / DB_MEMBER)
        except (tarfile.TarError, EOFError):
            raise BackupError("the backup is damaged (the archive ends early or is corrupt)") from None
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(Path(work) / DB_MEMBER, target)
    return submissions


def _checked_copy(archive: tarfile.TarFile, *, secret: DeploymentSecret, staged: Path) -> int:
    """Extract the database to `staged` and check it against the manifest and this deployment."""
    manifest = _read_manifest(archive)
    if manifest.get("deployment") != fingerprint(secret):
        raise BackupError("this backup belongs to another deployment (taken with another deployment secret): "
                          "restore it with that deployment's secret key file, or choose this one's backup")
    try:
        member = archive.getmember(DB_MEMBER)
    except KeyError:
        raise BackupError("the backup has no database in it") from None
    if not member.isfile():
        raise BackupError("the backup's database entry is not a file")
    source = archive.extractfile(member)
    if source is None:
        raise BackupError("the backup's database cannot be read")
    with staged.open("wb") as sink:
        for block in iter(lambda: source.read(1 << 20), b""):
            sink.write(block)
    if _sha256(staged) != manifest.get("sha256"):
        raise BackupError("the backup is damaged: its database does not match the checksum in its manifest")
    try:
        with sqlite3.connect(staged) as check:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            keys = _office_keys(check) if ok else []
            submissions = int(check.execute("SELECT count(*) FROM submissions").fetchone()[0]) if ok else 0
        check.close()
    except sqlite3.DatabaseError:
        ok = False
    if not ok:
        raise BackupError("the backup's database fails its integrity check")
    if keys != manifest.get("office_public_keys"):
        raise BackupError("the office keys in the backup's database are not the ones its manifest names")
    return submissions
