"""RESULTS.md: the machine, the versions, and every figure with its ratio to the reference of the same run."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from bench.micro import Figure
from bench.traps import Finding

if TYPE_CHECKING:
    from bench.cli import Measured

REFERENCE = {"page": "reference: bare Starlette page",
             "seal": "reference: parse, seal, insert (SQLite FULL, on the loop)"}


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _ratio(measured: Measured, all_measured: list[Measured]) -> str:
    name = REFERENCE[measured.scenario.reference]
    for other in all_measured:
        if other.scenario.name == name and other.workers == measured.workers:
            reference = other.median.rps
            if reference:
                return f"{measured.median.rps / reference:.2f} × {measured.scenario.reference}"
    return "—"


def _goal(measured: Measured) -> str:
    goal = measured.scenario.goal
    if goal is None:
        return ""
    if goal.workers != measured.workers:
        return f"({goal.text}: stated for {goal.workers} workers)"
    median = measured.median
    ok = goal.met(rps=median.rps, p50_ms=median.p50_ms, p99_ms=median.p99_ms, errors=measured.errors)
    return f"{'met' if ok else '**MISSED**'}: {goal.text}"


def render(*, args: argparse.Namespace, machine: dict[str, str], versions: dict[str, str],
           measured: list[Measured], figures: list[Figure], findings: list[Finding], expire_disabled: bool,
           seeded: int, elapsed: float) -> str:
    mode = "SMOKE RUN (tiny sizes, not figures to quote)" if args.smoke else "full run"
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench{' --smoke' if args.smoke else ''}` on {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{mode}, in {elapsed:.0f} s. Each figure is the median of {args.runs} run(s) of {args.seconds} s "
        "(by requests/s; its p50/p99 are that run's); errors are summed over all runs. Ratios are to the "
        "reference measured in the same run with the same uvicorn settings and worker count: `page` = a bare "
        "Starlette page, `seal` = parse a form, seal it, insert it into SQLite. Servers: uvicorn "
        "(`--no-access-log`, loopback), the portal through `bench.probe:app_from_env` (= `portal.app:app_from_env` "
        f"plus two bench-only probe routes). The inbox holds {seeded:,} sealed items.",
        "",
        "## Machine",
        "",
        "Other work on the machine (its load average) moves every absolute figure; the ratios much less.",
        "",
        *_table([[k, v] for k, v in machine.items()], ["", ""]),
        "",
        "## Versions",
        "",
        *_table([[k, v] for k, v in versions.items()], ["", ""]),
        "",
        "## HTTP figures",
        "",
    ]
    rows = []
    for m in sorted(measured, key=lambda m: (m.scenario.server != "reference", m.scenario.name, m.database,
                                             m.workers)):
        median = m.median
        connections = min(m.scenario.connections, 4) if args.smoke else m.scenario.connections
        rows.append([m.scenario.name, m.database, str(m.workers), str(connections),
                     f"{median.rps:,.0f}", f"{median.p50_ms:.1f}", f"{median.p99_ms:.1f}", str(m.errors),
                     _ratio(m, measured), _goal(m)])
    lines += _table(rows, ["figure", "database", "workers", "connections", "req/s", "p50 ms", "p99 ms", "errors",
                           "ratio", "goal"])
    lines += ["", "## In-process figures", ""]
    lines += _table([[f.name, f"{f.value:,.1f}", f.unit, f.note] for f in figures], ["figure", "value", "unit",
                                                                                     "note"])
    lines += ["", "## Traps checked", ""]
    lines.append(f"- Reload after commit: the foundation's session factory has expire_on_commit="
                 f"{'False' if expire_disabled else 'True (TRAP)'}; the in-process figures show what a reload costs.")
    if findings:
        lines.append("- Argon2id reached from a coroutine without the thread pool:")
        lines += [f"  - `{f.where}`: {f.text}" for f in findings]
    else:
        lines.append("- Argon2id on the event loop: no coroutine in intake/ or portal/ calls a function that reaches "
                     "Argon2id except through the thread pool (static check, bench/traps.py).")
    lines.append("- fsync policy and thread-pool writes: see the `trap:` rows above against the `seal` reference, "
                 "and the ORM rows of the in-process figures (FULL vs NORMAL).")
    lines.append("")
    return "\n".join(lines)
