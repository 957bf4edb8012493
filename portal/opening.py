"""Opening many envelopes at once: in this process for a page, over worker processes for an export.

Opening is CPU-bound ECDH that holds the GIL, so threads would share one core. Workers get the raw office keys and
the envelopes through a pipe and give back the plaintexts; nothing is written anywhere, and the workers end with the
export. They are forked from a clean server process ("forkserver"), never from a threaded web worker.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from crypto import envelope_key_id, load_private_key, open_envelope, private_key_bytes
from portal.keyring import Keyring, NoAccessError

Item = tuple[bytes, bytes]  # (envelope, associated data)


def open_all(keys: Mapping[bytes, bytes], items: Sequence[Item]) -> list[bytes]:
    """Open envelopes with raw office keys by key id (in a worker: plain values in, plain values out)."""
    loaded = {kid: load_private_key(raw) for kid, raw in keys.items()}
    return [open_envelope(loaded[envelope_key_id(envelope)], envelope, associated_data=ad) for envelope, ad in items]


class Opener:
    """Opens batches with a session's keyring, in this process or, with `workers`, in a pool of processes."""

    def __init__(self, keyring: Keyring, *, workers: int = 0) -> None:
        self.keys = {kid: private_key_bytes(key) for kid, key in keyring.keys.items()}
        self.keyring = keyring
        self.pool: ProcessPoolExecutor | None = None
        if workers:
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))

    def submit(self, items: Sequence[Item]) -> Future[list[bytes]]:
        """Start opening a batch; a key the keyring lacks is refused here, as `Keyring.open` refuses it."""
        for envelope, _ in items:
            if envelope_key_id(envelope) not in self.keys:
                raise NoAccessError("this was sealed to an office key you do not hold")
        if self.pool is not None:
            return self.pool.submit(open_all, self.keys, list(items))
        done: Future[list[bytes]] = Future()
        done.set_result([self.keyring.open(envelope, associated_data=ad) for envelope, ad in items])
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def __enter__(self) -> Opener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def export_workers() -> int:
    """Worker processes for a large export: every core (the export is rare and the officer waits for it)."""
    return os.cpu_count() or 1
