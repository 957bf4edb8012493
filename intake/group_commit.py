"""Intake writes committed in groups: the submissions that arrive together share one transaction and one fsync.

A request hands its write (a function of the open transaction) to the worker's `GroupCommit` and is answered only
after the commit that holds it, so an acknowledged submission is on disk (SQLite synchronous=FULL). There is no
timer: a write waits for nothing but the commit in progress, and under load the writes that queued behind it go in
the next one. Groups are written by one thread per worker, so the event loop never waits for the disk or for
another process's lock: it keeps reading and sealing requests meanwhile, and the next group is larger.

A write that raises rolls back its group; the others are then retried one by one, each in its own transaction,
so one bad write never costs another its place. Writes must therefore touch nothing but the transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 30_000  # what other users of a pooled connection expect (portal.db sets it on connect)


class IntakeBusy(Exception):
    """The database's write lock could not be had in time: nothing of the write was stored."""


class Group:
    """One open transaction shared by a group of writes: run statements on `connection`; rows given to `insert`
    are written together (one executemany per table, in the order the tables were first named) before commit.
    `memo` holds lookups that one write made and the next may reuse within this transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.memo: dict[Any, Any] = {}
        self._rows: dict[Table, list[dict[str, Any]]] = {}

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).append(row)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session inside this transaction, for writes built on the ORM (a report and its attachments):
        flushed at the end, committed with the group."""
        with Session(bind=self.connection) as session:
            yield session
            session.flush()

    def write_rows(self) -> None:
        for table, rows in self._rows.items():
            self.connection.execute(table.insert(), rows)
        self._rows.clear()


Write = Callable[[Group], T]


Outcome = tuple[bool, Any]  # (True, result) or (False, the exception the write raised)


class GroupCommit:
    """The intake's writer for one worker process: one event loop hands groups to one writer thread."""

    def __init__(self, engine: Engine, *, max_group: int = 256, lock_wait: float = 30.0) -> None:
        self.engine = engine
        self.max_group = max_group
        self.lock_wait = lock_wait
        self._sqlite = engine.dialect.name == "sqlite"
        self._queue: list[tuple[Write[Any], asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None
        # One thread, so groups are written one after another: while it waits for the lock or the disk, the
        # event loop goes on reading and sealing the next group's submissions.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-writer")
        self.groups = 0  # commits made, and the writes they held
        self.writes = 0

    async def run(self, write: Write[T]) -> T:
        """Run `write` in the next group's transaction and return its result once that transaction is committed.
        Raises what the write raised (nothing of it stored), or IntakeBusy."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((write, future))
        if self._task is None or self._task.done():  # (a task of a loop that has gone is done too)
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                await asyncio.sleep(0)  # requests already read in this turn of the loop join the group
                group, self._queue = self._queue[: self.max_group], self._queue[self.max_group :]
                try:
                    outcomes = await loop.run_in_executor(self._writer, self._write, [w for w, _ in group])
                except Exception as failure:  # no transaction at all (IntakeBusy, a database gone): nobody waits on
                    outcomes = [(False, failure)] * len(group)
                for (_, future), (ok, value) in zip(group, outcomes, strict=True):
                    _settle(future, result=value if ok else None, error=None if ok else value)
        finally:
            self._task = None

    def _write(self, writes: list[Write[Any]]) -> list[Outcome]:
        """In the writer thread: the group in one transaction, or (if a write raised) each write alone."""
        connection = self._begin()
        try:
            shared = Group(connection)
            results = [write(shared) for write in writes]
            shared.write_rows()
            connection.commit()
        except Exception as failure:
            connection.rollback()
            self._release(connection)
            if len(writes) == 1:
                return [(False, failure)]
            return [self._write_alone(write) for write in writes]
        self._release(connection)
        self.groups += 1
        self.writes += len(writes)
        return [(True, result) for result in results]

    def _begin(self) -> Connection:
        """An open write transaction. On SQLite the lock is tried in short steps rather than left to SQLite's busy
        handler, whose sleeps grow to 100 ms: another worker's commit is seen free within a few milliseconds."""
        connection = self.engine.connect()
        if not self._sqlite:
            connection.begin()
            return connection
        deadline = time.monotonic() + self.lock_wait
        pause = 0.0002
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA busy_timeout=0")
        while True:
            try:
                connection.begin()  # portal.db makes it BEGIN IMMEDIATE: the write lock now, or "locked"
                return connection
            except OperationalError:
                if time.monotonic() > deadline:
                    self._release(connection)
                    raise IntakeBusy("the database stayed locked by another process") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.004)

    def _release(self, connection: Connection) -> None:
        if self._sqlite:
            raw = connection.connection.dbapi_connection
            if raw is not None:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        connection.close()

    def _write_alone(self, write: Write[Any]) -> Outcome:
        """The slow path after a failed group: this write in its own transaction (waiting on the lock as usual)."""
        try:
            with self.engine.connect() as connection, connection.begin():
                alone = Group(connection)
                result = write(alone)
                alone.write_rows()
        except Exception as failure:
            return (False, failure)
        self.groups += 1
        self.writes += 1
        return (True, result)


def _settle(future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # the request went away (client disconnected); what was committed stays committed
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
