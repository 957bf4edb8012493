"""Argon2id off the event loop, and only as many at once as there are cores, across all the worker processes.

Each call fills 19 MiB and keeps a core busy for ~20 ms. Starlette's thread pool would run up to 40 at once per
worker (760 MiB at a burst of reports, for no more receipts per second than one thread per core: bench/README.md).
So the memory-hard work of a worker goes through one pool of `os.cpu_count()` threads, and requests beyond that
wait their turn without holding a thread or its memory. With several workers, each pool would still run one call
per core: two workers on two cores ran four at once and issued fewer receipts (75/s) than one worker (89/s). So a
call also takes one of `cores` slots shared by the deployment's workers (`CoreSlots`, file locks in its home).
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

CORES = os.cpu_count() or 2


class CoreSlots:
    """`count` slots, one empty lock file each (`argon2-slot-N` in `folder`). A thread takes any free slot, or
    waits in the kernel for its own; the kernel frees the slots of a process that dies. Each thread opens the files
    itself, as flock is held per open file, not per thread. Without a folder, no slots: the pool alone bounds it."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._folder: Path | None = None
        self._mine = threading.local()
        self._numbers = iter(range(1 << 30))  # each thread's own slot, round robin

    def share_in(self, folder: Path | None) -> None:
        self._folder = folder

    @contextmanager
    def taken(self) -> Iterator[None]:
        files = self._files()
        if not files:
            yield
            return
        own: int = self._mine.own
        order = files[own:] + files[:own]
        held = next((fd for fd in order if _try_lock(fd)), None)
        if held is None:
            held = order[0]
            fcntl.flock(held, fcntl.LOCK_EX)  # blocks in the kernel, without the GIL
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)

    def _files(self) -> list[int]:
        files: list[int] | None = getattr(self._mine, "files", None)
        if files is None or getattr(self._mine, "folder", None) != self._folder:
            files = []
            if self._folder is not None:
                try:
                    files = [os.open(self._folder / f"argon2-slot-{n}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                             for n in range(self.count)]
                except OSError:
                    files = []  # a folder that cannot be written: the pool alone bounds the work
            self._mine.files, self._mine.folder, self._mine.own = files, self._folder, next(self._numbers) % self.count
        return files


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


SLOTS = CoreSlots(CORES)
_POOL = ThreadPoolExecutor(max_workers=CORES, thread_name_prefix="argon2")


def _in_a_slot(call: Callable[[], T]) -> T:
    with SLOTS.taken():
        return call()


async def run_costly(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a function that calls Argon2id in the bounded pool and wait for it without blocking the loop."""
    call = functools.partial(function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_POOL, _in_a_slot, call)
