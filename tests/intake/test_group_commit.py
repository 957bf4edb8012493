"""The intake's group commit: submissions that arrive together share a commit, each is answered only once it is
stored, one bad write costs nobody else theirs, and a lock held elsewhere is waited for, then refused, cleanly."""

from __future__ import annotations

import asyncio
import fcntl
import os
import secrets
import stat
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError

from crypto import envelope_key_id, open_envelope
from intake.group_commit import Group, GroupCommit, IntakeBusy
from intake.models import Submission
from intake.sealing import submission_context
from portal.rotation import rotate_office_key
from tests.helpers import csrf_of
from tests.rating_helpers import GOOD, head_keyring, patient_poster

T = TypeVar("T")
THROTTLE = Submission.metadata.tables["throttles"]
START = datetime(2026, 1, 1, tzinfo=UTC)


def run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on an event loop of its own, as a server worker would (in a thread: the browser tests'
    Playwright keeps a loop running in the main thread)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(make())).result()


def row(key: bytes) -> dict[str, object]:
    return {"scope": "group-test", "key": key, "window_start": START, "count": 1,
            "expires_at": START + timedelta(hours=1)}


def stored_keys(db) -> set[bytes]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return set(session.scalars(select(THROTTLE.c.key).where(THROTTLE.c.scope == "group-test")))


def test_writes_that_arrive_together_share_commits_and_every_one_is_stored(db):  # type: ignore[no-untyped-def]
    writer = GroupCommit(db.engine)
    keys = [secrets.token_bytes(8) for _ in range(60)]

    def write(key: bytes):  # type: ignore[no-untyped-def]
        def into(group: Group) -> bytes:
            group.insert(THROTTLE, row(key))
            return key
        return into

    async def arrive_together() -> list[bytes]:
        return await asyncio.gather(*(writer.run(write(key)) for key in keys))

    assert run(arrive_together) == keys
    assert stored_keys(db) == set(keys)
    assert writer.writes == 60 and writer.groups < 10


def test_a_write_that_fails_loses_only_itself(db):  # type: ignore[no-untyped-def]
    writer = GroupCommit(db.engine)
    keys = [secrets.token_bytes(8) for _ in range(8)]
    bad = keys[3]

    def write(key: bytes):  # type: ignore[no-untyped-def]
        def into(group: Group) -> bytes:
            group.connection.execute(THROTTLE.insert(), row(key))  # written at once, then the write fails
            if key == bad:
                raise ValueError("this one is refused")
            return key
        return into

    async def arrive_together() -> list[object]:
        return await asyncio.gather(*(writer.run(write(key)) for key in keys), return_exceptions=True)

    outcomes = run(arrive_together)
    assert isinstance(outcomes[3], ValueError)
    assert [o for i, o in enumerate(outcomes) if i != 3] == [k for k in keys if k != bad]
    assert stored_keys(db) == set(keys) - {bad}


def _hold_the_write_lock(db):  # type: ignore[no-untyped-def]
    holder = db.engine.connect()
    holder.begin()  # BEGIN IMMEDIATE (portal.db): the write lock, as another worker process would hold it
    return holder


def test_a_lock_held_by_another_worker_is_waited_for_while_the_loop_serves_others(db):  # type: ignore[no-untyped-def]
    if not db.is_sqlite:
        pytest.skip("SQLite's single write lock")
    writer = GroupCommit(db.engine)
    key = secrets.token_bytes(8)
    holder = _hold_the_write_lock(db)

    async def scenario() -> tuple[bytes, int]:
        def into(group: Group) -> bytes:
            group.insert(THROTTLE, row(key))
            return key
        pending = asyncio.ensure_future(writer.run(into))
        ticks = 0
        for _ in range(20):  # the event loop keeps running while the write waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert not pending.done()
        holder.commit()
        return await pending, ticks

    try:
        assert run(scenario) == (key, 20)
    finally:
        holder.close()
    assert stored_keys(db) == {key}


def test_a_lock_never_released_refuses_the_write_and_stores_nothing(db):  # type: ignore[no-untyped-def]
    if not db.is_sqlite:
        pytest.skip("SQLite's single write lock")
    writer = GroupCommit(db.engine, lock_wait=0.2)
    holder = _hold_the_write_lock(db)

    def into(group: Group) -> None:
        group.insert(THROTTLE, row(b"never"))

    try:
        with pytest.raises(IntakeBusy):
            run(lambda: writer.run(into))
    finally:
        holder.rollback()
        holder.close()
    assert stored_keys(db) == set()


def test_a_turn_that_never_comes_refuses_the_write_which_is_never_written_later(db):  # type: ignore[no-untyped-def]
    """Another worker holds the turn (the file lock beside the database) and does not let go: the waiting write is
    answered busy after `lock_wait`, and when the turn finally comes it is not written behind the patient's back;
    the next write goes through."""
    if not db.is_sqlite:
        pytest.skip("SQLite's writers take turns")
    lock_path = f"{db.engine.url.database}-intake-lock"
    writer = GroupCommit(db.engine, lock_wait=0.3)

    def write(key: bytes):  # type: ignore[no-untyped-def]
        def into(group: Group) -> bytes:
            group.insert(THROTTLE, row(key))
            return key
        return into

    holder = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    async def scenario() -> bytes:
        fcntl.flock(holder, fcntl.LOCK_EX)
        try:
            with pytest.raises(IntakeBusy):
                await writer.run(write(b"refused"))
        finally:
            fcntl.flock(holder, fcntl.LOCK_UN)
        return await writer.run(write(b"next"))

    try:
        assert run(scenario) == b"next"
    finally:
        os.close(holder)
    assert stored_keys(db) == {b"next"}
    lock_file = os.stat(lock_path)
    assert lock_file.st_size == 0 and stat.S_IMODE(lock_file.st_mode) == 0o600


def test_a_rating_after_a_rotation_elsewhere_is_sealed_to_the_new_key(client, app, db, deployment):  # type: ignore[no-untyped-def]
    """The worker remembered the old key; another process (the rotation command) replaced it. The rating is
    sealed to the key that is current when it is stored, and the office opens it with the new key."""
    code = patient_poster(db, "骨科")
    token = csrf_of(client.get(f"/q/{code}/rate").text)
    assert client.post(f"/q/{code}/rate", data={"csrf_token": token, **GOOD},
                       follow_redirects=False).status_code == 303  # the worker now remembers the key
    keys = head_keyring(db)
    with db.transaction() as session:
        office = session.merge(deployment.office)
        rotated = rotate_office_key(session, office=office, keyring=keys, by=None)
    assert client.post(f"/q/{code}/rate", data={"csrf_token": token, **GOOD, "overall": "3"},
                       follow_redirects=False).status_code == 303
    with db.read() as session:
        newest = session.scalars(select(Submission)).all()
    new_keys = head_keyring(db)
    sealed_to = {envelope_key_id(s.envelope) for s in newest}
    assert rotated.key_id in sealed_to and len(sealed_to) == 2
    fresh = next(s for s in newest if envelope_key_id(s.envelope) == rotated.key_id)
    opened = open_envelope(new_keys.keys[rotated.key_id], fresh.envelope, associated_data=submission_context(
        kind=fresh.kind, hospital_id=fresh.hospital_id, department_id=fresh.department_id))
    assert b'"overall":"3"' in opened


def test_a_database_that_cannot_be_reached_fails_the_write_instead_of_hanging(tmp_path):  # type: ignore[no-untyped-def]
    writer = GroupCommit(create_engine(f"sqlite:///{tmp_path / 'missing' / 'portal.db'}"))  # no such directory

    def into(group: Group) -> None:
        group.insert(THROTTLE, row(b"lost"))

    with pytest.raises(OperationalError):
        run(lambda: asyncio.wait_for(writer.run(into), timeout=10))
