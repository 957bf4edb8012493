"""Running the real `portal` command in a subprocess with its own PORTAL_HOME (and nothing of the caller's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command_env(home: Path, **extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update({"PORTAL_HOME": str(home), "PYTHONPATH": str(ROOT), **extra})
    return environment


def portal_command(home: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], input=stdin, capture_output=True, text=True,
                          env=command_env(home, **extra), timeout=120, check=False)
