"""Load generators: wrk (Debian's) with a generated Lua script, or an asyncio client when wrk is missing.

Both keep connections alive, run for a fixed time, and report requests, errors (connect/read/write/timeouts and
HTTP statuses >= 400) and latency percentiles. Loopback only: the harness never passes another host.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    bodies: tuple[bytes, ...] = ()  # cycled through, one per request


@dataclass(frozen=True)
class RunResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_string(raw: bytes) -> str:
    """A Lua string literal of these exact bytes (multipart bodies carry CRLF and UTF-8, which a long bracket
    string would not keep: Lua rewrites its line ends)."""
    out = []
    for byte in raw:
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def wrk_script(request: Request) -> str:
    lines = [f'wrk.method = "{request.method}"']
    for name, value in request.headers.items():
        lines.append(f"wrk.headers[ {_lua_string(name.encode())} ] = {_lua_string(value.encode())}")
    if request.bodies:
        lines.append("local bodies = {" + ", ".join(_lua_string(b) for b in request.bodies) + "}")
        lines.append("local i = 0")
        lines.append("request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend")
    lines.append(
        "done = function(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        '  io.write(string.format("BENCH_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"errors\\":%d,'
        '\\"p50_us\\":%d,\\"p99_us\\":%d}\\n", summary.requests, summary.duration,'
        " e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))\n"
        "end"
    )
    return "\n".join(lines) + "\n"


def run_wrk(request: Request, *, connections: int, seconds: float, threads: int = 1) -> RunResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(request))
    try:
        command = [wrk_path() or "wrk", "-t", str(min(threads, connections)), "-c", str(connections),
                   "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", script.name, request.url]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    finally:
        Path(script.name).unlink(missing_ok=True)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            return RunResult(requests=data["requests"], seconds=data["duration_us"] / 1e6, errors=data["errors"],
                             p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000)
    raise RuntimeError(f"wrk printed no result: {completed.stdout[-500:]} {completed.stderr[-500:]}")


# ---------------------------------------------------------------- asyncio fallback


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(request: Request, deadline: float, latencies: list[float], errors: list[int], offset: int) -> None:
    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = f"{request.method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in request.headers.items())
    count = offset
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            errors[0] += 1
            await asyncio.sleep(0.01)
            continue
        try:
            while time.monotonic() < deadline:
                body = request.bodies[count % len(request.bodies)] if request.bodies else b""
                count += 1
                message = head + (f"Content-Length: {len(body)}\r\n" if request.bodies else "") + "\r\n"
                started = time.perf_counter()
                writer.write(message.encode("latin-1") + body)
                status = await asyncio.wait_for(_read_response(reader), timeout=10)
                latencies.append(time.perf_counter() - started)
                if status >= 400:
                    errors[0] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            errors[0] += 1
        finally:
            writer.close()


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_asyncio(request: Request, *, connections: int, seconds: float) -> RunResult:
    latencies: list[float] = []
    errors = [0]

    async def main() -> float:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_client(request, deadline, latencies, errors, n) for n in range(connections)))
        return time.monotonic() - started

    elapsed = asyncio.run(main())
    return RunResult(requests=len(latencies), seconds=elapsed, errors=errors[0],
                     p50_ms=_percentile(latencies, 0.5) * 1000, p99_ms=_percentile(latencies, 0.99) * 1000)


def run(request: Request, *, connections: int, seconds: float, use_wrk: bool) -> RunResult:
    if use_wrk:
        return run_wrk(request, connections=connections, seconds=seconds)
    return run_asyncio(request, connections=connections, seconds=seconds)
