"""The benchmark's smoke mode, run once so that the harness cannot rot: real uvicorn servers, real load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.scenarios import SCENARIOS

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_measures_every_figure_without_errors(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = output.read_text(encoding="utf-8")
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in report.splitlines()
            if line.startswith("| ") and " | " in line}
    for scenario in (s for s in SCENARIOS if s.smoke):
        assert scenario.name in rows, f"{scenario.name} missing from the report"
        cells = rows[scenario.name]
        assert float(cells[4].replace(",", "")) > 0, f"{scenario.name} served no request"
        assert cells[7] == "0", f"{scenario.name} had errors"
    assert "| Argon2id at the OWASP minimum" in report
    assert "expire_on_commit=False" in report
