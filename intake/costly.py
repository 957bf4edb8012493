"""Argon2id off the event loop, and only as many at once as there are cores.

Each call fills 19 MiB and keeps a core busy for ~20 ms. Starlette's thread pool would run up to 40 at once per
worker (760 MiB at a burst of reports, for no more receipts per second than one thread per core: bench/README.md).
So the memory-hard work of a worker goes through one pool of `os.cpu_count()` threads, and requests beyond that
wait their turn without holding a thread or its memory.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="argon2")


async def run_costly(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a function that calls Argon2id in the bounded pool and wait for it without blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(function, *args, **kwargs))
