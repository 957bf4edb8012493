"""A real portal: `portal init` in a temporary PORTAL_HOME, `portal serve` as a subprocess on a free port."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from crypto import OWASP_MINIMUM
from portal.settings import Settings, read_secret_file
from tests.commands import command_env, portal_command

PASSWORD = "a long enough password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Home:
    path: Path
    hospital_recovery: str
    totp: str

    @property
    def settings(self) -> Settings:
        return Settings(database_url=f"sqlite:///{self.path / 'portal.db'}",
                        secret=read_secret_file(self.path / "secret.key"), argon2=OWASP_MINIMUM)

    @property
    def tmp(self) -> Path:
        return self.path / "tmp"


def init_home(path: Path) -> Home:
    done = portal_command(path, "init", "--hospital", "示例市第一人民医院", "--hospital-code", "demo",
                          "--authority", "纪检监察组", "--username", "head", "--demo-departments",
                          stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    recovery = next(line.split()[-1] for line in done.stdout.splitlines() if "hospital office:" in line)
    totp = next(line.split()[2] for line in done.stdout.splitlines() if "TOTP secret:" in line)
    (path / "tmp").mkdir()
    return Home(path=path, hospital_recovery=recovery, totp=totp)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def serve(home: Home, **extra: str) -> Server:
    port = free_port()
    log = home.path / f"server-{port}.log"
    env = command_env(home.path, TMPDIR=str(home.tmp), **extra)
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return Server(process=process, url=url, log=log)
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the portal did not start: " + log.read_text(errors="replace"))
