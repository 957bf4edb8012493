"""Argon2id runs at most once per core across a deployment's worker processes (intake/costly.py)."""

from __future__ import annotations

import stat
import threading
import time

from intake.costly import CoreSlots


def test_a_second_worker_waits_for_the_slot_the_first_one_holds(tmp_path):  # type: ignore[no-untyped-def]
    first, second = CoreSlots(1), CoreSlots(1)  # two worker processes of one deployment, one core
    first.share_in(tmp_path)
    second.share_in(tmp_path)
    holding, release = threading.Event(), threading.Event()
    events: list[str] = []

    def first_worker() -> None:
        with first.taken():
            events.append("first starts")
            holding.set()
            release.wait(5)
            events.append("first ends")

    def second_worker() -> None:
        holding.wait(5)
        with second.taken():
            events.append("second starts")

    threads = [threading.Thread(target=first_worker), threading.Thread(target=second_worker)]
    for thread in threads:
        thread.start()
    holding.wait(5)
    time.sleep(0.2)
    assert events == ["first starts"]  # the second worker is waiting, not hashing beside the first
    release.set()
    for thread in threads:
        thread.join(5)
    assert events == ["first starts", "first ends", "second starts"]
    slot = (tmp_path / "argon2-slot-0").stat()
    assert slot.st_size == 0 and stat.S_IMODE(slot.st_mode) == 0o600


def test_with_two_slots_two_workers_run_side_by_side(tmp_path):  # type: ignore[no-untyped-def]
    workers = [CoreSlots(2), CoreSlots(2)]
    for worker in workers:
        worker.share_in(tmp_path)
    both_in = threading.Barrier(2, timeout=5)

    def hash_once(worker: CoreSlots) -> None:
        with worker.taken():
            both_in.wait()  # raises BrokenBarrierError if the other one could not get in meanwhile

    threads = [threading.Thread(target=hash_once, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not both_in.broken
