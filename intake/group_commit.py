"""Intake writes committed in groups: the submissions that arrive together share one transaction and one fsync.

A request hands its write (a function of the open transaction) to the worker's `GroupCommit` and is answered only
after the commit that holds it, so an acknowledged submission is on disk (SQLite synchronous=FULL). There is no
timer: a write waits for nothing but the commit in progress, and under load the writes that queued behind it go in
the next one. Groups are written by one thread per worker, so the event loop never waits for the disk or for
another process's lock: it keeps reading and sealing requests meanwhile, and the next group is larger.

A write that raises rolls back its group; the others are then retried one by one, each in its own transaction,
so one bad write never costs another its place. Writes must therefore touch nothing but the transaction.

On SQLite the worker processes' writers take turns through a file lock beside the database (`WriterTurn`), which
the kernel hands over the moment it is released: SQLite's own lock has no queue, and a writer that polls for it
usually finds that the worker which just committed has taken it again (lock waits of 20-80 ms at 2,000 ratings/s,
bench/README.md). The turn only orders the writers; SQLite's lock still guards the data. A write that has not
begun within `lock_wait` seconds (its turn never came, or the lock stayed taken) is refused with IntakeBusy.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import OperationalError

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

    def write_rows(self) -> None:
        for table, rows in self._rows.items():
            self.connection.execute(table.insert(), rows)
        self._rows.clear()


Write = Callable[[Group], T]


Outcome = tuple[bool, Any]  # (True, result) or (False, the exception the write raised)


@dataclass(eq=False)
class _Pending:
    write: Write[Any]
    future: asyncio.Future[Any]
    queued_at: float = field(default_factory=time.monotonic)
    claimed: bool = False  # by the writer thread: its transaction is under way, it will be answered from there
    abandoned: bool = False  # by the event loop: waited too long, answered IntakeBusy, never to be written


class WriterTurn:
    """The worker processes' turns at writing one SQLite database: an exclusive flock on `<database>-intake-lock`
    (an empty file), taken by the writer thread around each group. The kernel wakes a waiting process as soon as
    the holder lets go, and releases the lock of a process that dies. Without a file (an in-memory database, a
    folder that cannot be written) there are no turns and SQLite's lock alone decides."""

    def __init__(self, database_path: str | None) -> None:
        self._path = database_path if database_path and database_path != ":memory:" else None
        self._fd: int | None = None

    @contextmanager
    def taken(self) -> Iterator[None]:
        fd = self._open()
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks in the kernel, without the GIL
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int | None:
        if self._fd is None and self._path is not None:
            try:
                self._fd = os.open(f"{self._path}-intake-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self._path = None
        return self._fd


class GroupCommit:
    """The intake's writer for one worker process: one event loop hands groups to one writer thread."""

    def __init__(self, engine: Engine, *, max_group: int = 256, lock_wait: float = 30.0) -> None:
        self.engine = engine
        self.max_group = max_group
        self.lock_wait = lock_wait
        self._sqlite = engine.dialect.name == "sqlite"
        self._turn = WriterTurn(engine.url.database if self._sqlite else None)
        self._claims = threading.Lock()  # between the loop (abandoning) and the writer (claiming)
        self._queue: list[_Pending] = []
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
        self._queue.append(_Pending(write, future))
        if self._task is None or self._task.done():  # (a task of a loop that has gone is done too)
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        sweep = min(1.0, self.lock_wait / 4)
        try:
            while self._queue:
                await asyncio.sleep(0)  # requests already read in this turn of the loop join the group
                group, self._queue = self._queue[: self.max_group], self._queue[self.max_group :]
                job = loop.run_in_executor(self._writer, self._write, group)
                while not (await asyncio.wait({job}, timeout=sweep))[0]:
                    self._abandon_overdue(group)
                try:
                    answered = job.result()
                except Exception as failure:  # no transaction at all (IntakeBusy, a database gone): nobody waits on
                    answered = [(pending, (False, failure)) for pending in group]
                for pending, (ok, value) in answered:
                    _settle(pending.future, result=value if ok else None, error=None if ok else value)
        finally:
            self._task = None

    def _abandon_overdue(self, group: list[_Pending]) -> None:
        """While the writer waits: refuse the writes, in its group or queued behind it, that have not begun within
        `lock_wait` seconds. The writer skips them when its turn comes; a claimed write is answered by the writer."""
        now = time.monotonic()
        with self._claims:
            for pending in [*group, *self._queue]:
                if not pending.claimed and not pending.abandoned and now - pending.queued_at > self.lock_wait:
                    pending.abandoned = True
                    _settle(pending.future, error=IntakeBusy("the intake's turn to write did not come in time"))
        self._queue = [pending for pending in self._queue if not pending.abandoned]

    def _write(self, group: list[_Pending]) -> list[tuple[_Pending, Outcome]]:
        """In the writer thread, on this worker's turn: the writes not abandoned meanwhile."""
        with self._turn.taken():
            with self._claims:
                live = [pending for pending in group if not pending.abandoned]
                for pending in live:
                    pending.claimed = True
            if not live:
                return []
            return list(zip(live, self._write_claimed([pending.write for pending in live]), strict=True))

    def _write_claimed(self, writes: list[Write[Any]]) -> list[Outcome]:
        """The group in one transaction, or (if a write raised) each write alone."""
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
