"""Opening sealed ratings for the rollup, in this process or across worker processes: each envelope is opened and
counted where it is opened, so that only counts per cell and the alerts' contents travel back."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.context import BaseContext
from typing import NamedTuple, Protocol

from crypto import CryptoError, envelope_key_id, load_private_key, open_envelope
from intake.models import SubmissionKind
from intake.questionnaire import raises_alert, read_payload
from intake.sealing import submission_context
from portal.rating_tally import NO_DEPARTMENT, Tally, month_of, source_of

Cell = tuple[int, str]  # (department key, month in China time)
Keys = Mapping[bytes, bytes]  # raw office private keys by key id: plain values, so that they cross to a worker
PARTS_PER_WORKER = 4  # small parts keep every worker busy to the end of a batch while the rollup also runs


class Sealed(NamedTuple):
    """A rating as stored: its envelope and the plain facts that say where it counts."""

    envelope: bytes
    hospital_id: int
    department_id: int | None
    created_hour: datetime
    verified: bool


@dataclass
class Opened:
    """What opening a batch yields: its answers counted per cell, the ratings that raise an alert (by position in
    the batch, with their answers and comment), and how many did not open."""

    cells: dict[Cell, Tally] = field(default_factory=dict)
    alerts: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    unreadable: int = 0
    missing_key: int = 0

    def merge(self, other: Opened, *, offset: int) -> None:
        """Add the result of the part of the batch that starts at `offset` (`other` is not used afterwards)."""
        for cell, tally in other.cells.items():
            mine = self.cells.get(cell)
            if mine is None:
                self.cells[cell] = tally
            else:
                mine.merge(tally)
        self.alerts.extend((offset + position, answers, comment) for position, answers, comment in other.alerts)
        self.unreadable += other.unreadable
        self.missing_key += other.missing_key


def open_items(keys: Keys, items: Sequence[Sealed]) -> Opened:
    """Open envelopes with raw office keys and count their answers (runs in a worker process)."""
    loaded = {kid: load_private_key(raw) for kid, raw in keys.items()}
    contexts: dict[tuple[int, int | None], bytes] = {}
    opened = Opened()
    for position, item in enumerate(items):
        place = (item.hospital_id, item.department_id)
        associated_data = contexts.get(place)
        if associated_data is None:
            associated_data = contexts[place] = submission_context(
                kind=SubmissionKind.RATING, hospital_id=item.hospital_id, department_id=item.department_id)
        try:
            key = loaded.get(envelope_key_id(item.envelope))
            if key is None:
                opened.missing_key += 1
                continue
            payload = json.loads(open_envelope(key, item.envelope, associated_data=associated_data).decode("utf-8"))
        except (CryptoError, ValueError):
            opened.unreadable += 1  # moved or tampered: counted as seen, never as answers
            continue
        answers, comment = read_payload(payload) if isinstance(payload, dict) else ({}, "")
        cell = (item.department_id or NO_DEPARTMENT, month_of(item.created_hour))
        tally = opened.cells.get(cell)
        if tally is None:
            tally = opened.cells[cell] = Tally()
        tally.add(source_of(item.verified), answers)
        if raises_alert(answers, comment):
            opened.alerts.append((position, answers, comment))
    return opened


class Opening(Protocol):
    """A batch handed to an opener: `result()` waits for it; `cancel()` drops what has not started."""

    def result(self) -> Opened: ...

    def cancel(self) -> None: ...


class Opener(Protocol):
    """Starts opening a batch; the rollup asks for the result when it is ready to count it."""

    def submit(self, keys: Keys, items: Sequence[Sealed]) -> Opening: ...


class _Later:
    def __init__(self, keys: Keys, items: Sequence[Sealed]) -> None:
        self.keys: Keys | None = keys
        self.items = items
        self.opened: Opened | None = None

    def result(self) -> Opened:
        if self.opened is None:
            if self.keys is None:
                raise RuntimeError("this batch was cancelled")
            self.opened = open_items(self.keys, self.items)
        return self.opened

    def cancel(self) -> None:
        self.keys = None


class SerialOpener:
    """Open in the calling thread when the result is asked for (a batch dropped before that is never opened)."""

    def submit(self, keys: Keys, items: Sequence[Sealed]) -> Opening:
        return _Later(keys, items)


class _Parts:
    def __init__(self, parts: list[tuple[int, Future[Opened]]]) -> None:
        self.parts = parts

    def result(self) -> Opened:
        opened = Opened()
        for offset, part in self.parts:
            opened.merge(part.result(), offset=offset)
        return opened

    def cancel(self) -> None:
        for _, part in self.parts:
            part.cancel()


def _worker_context() -> BaseContext:
    # Workers start from a fork server, not from this process: they hold only what a batch sends them (office keys
    # and envelopes; no session, no officer's own key, nothing a request left in memory), and forking a process
    # that runs threads (a web server) is unsafe.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", __name__])  # imported once in the server, not in every worker
        return context
    return multiprocessing.get_context("spawn")


class ParallelOpener:
    """Open batches across worker processes (opening is CPU-bound ECDH; threads would share one core). A batch is
    split into a few parts per worker; parts run in the order submitted, so the rollup can hand over the next batch
    while it writes the current one. The processes start with the first batch and stop at `close()`."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, keys: Keys, items: Sequence[Sealed]) -> Opening:
        size = -(-len(items) // (self.workers * PARTS_PER_WORKER)) or 1

        def parts(pool: ProcessPoolExecutor) -> Opening:
            return _Parts([(start, pool.submit(open_items, keys, items[start : start + size]))
                           for start in range(0, len(items), size)])

        pool = self._running_pool()
        try:
            return parts(pool)
        except BrokenProcessPool:
            # A worker died (killed, out of memory) and failed the batch it had; later batches get a new pool.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return parts(self._running_pool())

    def _running_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_worker_context())
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    def __enter__(self) -> ParallelOpener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
