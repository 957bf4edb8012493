"""`python -m bench`: set up deployments, start real servers, drive them, write RESULTS.md."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bench import deployment as deployments
from bench import environment, load, micro, report, traps
from bench.scenarios import MULTIPART_BOUNDARY, SCENARIOS, Context, Scenario, form_bodies
from bench.servers import HOST, Server, ServerError
from portal.db import make_engine

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SMOKE_RESULTS = Path(tempfile.gettempdir()) / "hip-bench-smoke-RESULTS.md"


@dataclass
class Measured:
    scenario: Scenario
    database: str  # "SQLite", "PostgreSQL" or "-" for the reference
    workers: int
    runs: list[load.RunResult]

    @property
    def median(self) -> load.RunResult:
        ordered = sorted(self.runs, key=lambda r: r.rps)
        return ordered[len(ordered) // 2]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one 1-second run each: a CI check")
    parser.add_argument("--output", type=Path, help=f"where to write the results (default {RESULTS}; with "
                                                    f"--smoke {SMOKE_RESULTS})")
    parser.add_argument("--seconds", type=int, help="length of one run (default 5; smoke 1)")
    parser.add_argument("--runs", type=int, help="runs per figure, the median is reported (default 3; smoke 1)")
    parser.add_argument("--workers", default=None, help="comma-separated uvicorn worker counts (default 1,2; smoke 1)")
    parser.add_argument("--seed", type=int, help="sealed items in the inbox (default 100000; smoke 50)")
    parser.add_argument("--pg-url", help="also measure the portal on this PostgreSQL database")
    parser.add_argument("--pg-reset", action="store_true", help="drop everything in the PostgreSQL database first")
    parser.add_argument("--only", action="append", default=[], help="only scenarios whose name contains this")
    parser.add_argument("--no-wrk", action="store_true", help="use the asyncio client even if wrk is installed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, server logs)")
    parser.add_argument("--budget", type=float, help="stop starting new runs after this many seconds "
                                                      "(default 1800; smoke 120)")
    args = parser.parse_args(argv)
    smoke = args.smoke
    args.seconds = args.seconds or (1 if smoke else 5)
    args.runs = args.runs or (1 if smoke else 3)
    args.workers = [int(w) for w in (args.workers or ("1" if smoke else "1,2")).split(",")]
    args.seed = args.seed if args.seed is not None else (50 if smoke else 100_000)
    args.budget = args.budget or (120 if smoke else 1800)
    return args


def selected(args: argparse.Namespace) -> list[Scenario]:
    chosen = [s for s in SCENARIOS if (s.smoke or not args.smoke)]
    if args.only:
        chosen = [s for s in chosen if any(word in s.name for word in args.only)
                  or s.name.startswith("reference:")]
    return chosen


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _request(scenario: Scenario, server: Server, dep: deployments.Deployment | None, ctx: Context | None,
             csrf: tuple[str, str]) -> load.Request:
    cookie = f"hip_csrf={csrf[0]}"
    if scenario.officer and dep is not None:
        cookie += f"; hip_office={dep.officer_cookie}"
    headers = {"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}
    bodies: tuple[bytes, ...] = ()
    if scenario.body is not None:
        headers["Content-Type"] = (f"multipart/form-data; boundary={MULTIPART_BOUNDARY}" if scenario.multipart
                                   else "application/x-www-form-urlencoded")
        placeholder = Context(code="x", hospital_id=0, department_id=0, office_public_key=b"")
        bodies = form_bodies(scenario, ctx or placeholder, csrf[1])
    path = scenario.path.format(code=dep.patient_code if dep else "")
    return load.Request(method=scenario.method, url=f"{server.base_url}{path}", headers=headers, bodies=bodies)


def settle(servers: list[Server], *, step: float = 0.2, limit: float = 10.0) -> None:
    """Wait until no server is still working off the last run. The load generator hangs up at the end of its
    run, but a server may still hold requests it read (32 reports queued for Argon2id take a second): the next
    figure, measured meanwhile, would pay for them. Idle = at most a tenth of one core over `step` seconds (the
    kernel counts CPU time in ticks of 10 ms)."""
    if not Path("/proc/self/stat").exists():
        time.sleep(1.0)
        return
    deadline = time.monotonic() + limit
    used = sum(server.cpu_seconds() for server in servers)
    while time.monotonic() < deadline:
        time.sleep(step)
        now = sum(server.cpu_seconds() for server in servers)
        if now - used <= 0.1 * step:
            return
        used = now


def run_workers(args: argparse.Namespace, workers: int, work: Path, deps: list[deployments.Deployment],
                scenarios: list[Scenario], use_wrk: bool, deadline: float) -> list[Measured]:
    reference_dir = work / f"reference-{workers}"
    reference_dir.mkdir()
    servers = [Server("reference", "bench.reference_app:app_from_env", workers,
                      {"BENCH_REF_DIR": str(reference_dir)}, work / f"reference-{workers}.log")]
    servers += [Server(f"portal-{d.label}", "bench.probe:app_from_env", workers, d.env(),
                       work / f"portal-{d.label}-{workers}.log") for d in deps]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        targets: list[tuple[Server, deployments.Deployment | None, Context | None, tuple[str, str]]] = []
        targets.append((servers[0], None, None, ("x" * 43, "")))
        for server, dep in zip(servers[1:], deps, strict=True):
            if not dep.officer_cookie:
                deployments.log_in(dep, HOST, server.port)
            ctx = Context(code=dep.patient_code, hospital_id=dep.hospital_id, department_id=dep.department_id,
                          office_public_key=dep.office_public_key)
            targets.append((server, dep, ctx, deployments.csrf_pair(HOST, server.port)))
        plan = []
        for scenario in scenarios:
            for server, dep, ctx, csrf in targets:
                if (scenario.server == "reference") == (dep is None):
                    plan.append((scenario, dep.label if dep else "-", _request(scenario, server, dep, ctx, csrf)))
        results = {(s.name, label): Measured(s, label, workers, []) for s, label, _ in plan}
        if not args.smoke:
            _log(f"{workers} worker(s): warming up")
            for scenario, _, request in plan:
                settle(servers)
                load.run(request, connections=scenario.connections, seconds=1, use_wrk=use_wrk)
        # Runs interleave the figures, so that a slow moment of the machine touches all of them alike.
        for number in range(args.runs):
            for scenario, label, request in plan:
                if time.monotonic() > deadline:
                    _log("time budget spent: remaining runs skipped")
                    break
                # The smoke run checks the harness, not the figures: few connections, so that even the
                # Argon2-bound scenario completes requests within its second on a busy machine.
                connections = min(scenario.connections, 4) if args.smoke else scenario.connections
                settle(servers)
                result = load.run(request, connections=connections, seconds=args.seconds, use_wrk=use_wrk)
                results[(scenario.name, label)].runs.append(result)
                _log(f"{workers}w run {number + 1} {label:10} {scenario.name}: {result.rps:,.0f}/s "
                     f"p50 {result.p50_ms:.1f} ms p99 {result.p99_ms:.1f} ms errors {result.errors}")
        return [m for m in results.values() if m.runs]
    finally:
        for server in servers:
            server.stop()


def postgres_version(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + args.budget
    use_wrk = load.wrk_path() is not None and not args.no_wrk
    work = Path(tempfile.mkdtemp(prefix="hip-bench-"))
    output = args.output or (SMOKE_RESULTS if args.smoke else RESULTS)
    load_at_start = environment.machine()["load average (1/5/15 min)"]
    try:
        _log(f"working in {work}; load generator: {'wrk' if use_wrk else 'asyncio client'}")
        deps = []
        _log(f"setting up the SQLite deployment ({args.seed} sealed items)")
        deps.append(deployments.create("SQLite", work / "sqlite", f"sqlite:///{work / 'sqlite' / 'portal.db'}",
                                       seed=args.seed))
        pg_version = None
        if args.pg_url:
            deployments.reset_postgres(args.pg_url, allowed=args.pg_reset)
            pg_version = postgres_version(args.pg_url)
            _log(f"setting up the PostgreSQL deployment ({args.seed} sealed items)")
            deps.append(deployments.create("PostgreSQL", work / "postgres", args.pg_url, seed=args.seed))
        scenarios = selected(args)
        measured: list[Measured] = []
        for workers in args.workers:
            measured += run_workers(args, workers, work, deps, scenarios, use_wrk, deadline)
        _log("in-process figures")
        figures = micro.measure(work, smoke=args.smoke, log=_log)
        findings = traps.argon2_on_the_loop()
        document = report.render(
            args=args, machine={**environment.machine(), "load average at the start": load_at_start},
            versions=environment.versions(pg_version, use_wrk),
            measured=measured, figures=figures, findings=findings,
            expire_disabled=traps.expire_on_commit_disabled(), seeded=args.seed,
            elapsed=time.monotonic() - started)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document, encoding="utf-8")
        _log(f"wrote {output}")
        errors = sum(m.errors for m in measured)
        missing = [s.name for s in scenarios if not any(m.scenario is s and m.median.requests for m in measured)]
        if errors or missing or findings:
            _log(f"FAILED: {errors} request errors; not measured: {missing or 'none'}; "
                 f"Argon2 on the loop: {len(findings)}")
            return 1
        return 0
    except (ServerError, deployments.DatabaseNotEmpty, RuntimeError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            _log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

