"""What the figures were measured on: the machine and the versions of everything in the path."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sqlite3
import subprocess
from pathlib import Path


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine() -> dict[str, str]:
    memory = _first("/proc/meminfo", "MemTotal")
    if memory.endswith("kB"):
        memory = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB"
    return {"cpus (nproc)": str(os.cpu_count()), "cpu model": _first("/proc/cpuinfo", "model name"),
            "memory": memory, "kernel": platform.release(),
            "load average (1/5/15 min)": " / ".join(f"{v:.2f}" for v in os.getloadavg())}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def versions(pg_version: str | None, use_wrk: bool) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "cryptography", "argon2-cffi",
                    "psycopg", "jinja2"):
        found[package] = _version(package)
    found["sqlite"] = sqlite3.sqlite_version
    found["postgresql"] = pg_version or "not measured (no --pg-url)"
    wrk = shutil.which("wrk")
    if use_wrk and wrk:
        probe = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        found["load generator"] = (probe.stdout or probe.stderr).splitlines()[0].split(" Copyright")[0]
    else:
        found["load generator"] = "bench.load asyncio client (wrk not found or --no-wrk)"
    return found
