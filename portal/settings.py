"""Settings: one frozen value built from the environment (tests build it directly)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from crypto import OWASP_MINIMUM, Argon2Params

ROOT = Path(__file__).resolve().parent.parent
# Days a submission is kept (reports and hand-ins: once closed), by kind; PORTAL_RETENTION_<KIND>_DAYS changes one.
DEFAULT_RETENTION_DAYS = {"report": 5 * 365, "handin": 5 * 365, "rating": 2 * 365}
DEFAULT_HOME = Path("var")


class SettingsError(Exception):
    """The environment or a key file is wrong; the message says what to do."""


class DeploymentSecret:
    """32 bytes kept outside the database: receipt pepper, throttle keys, CSRF and TOTP keys derive from it."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise SettingsError("the deployment secret must be 32 bytes")
        self._raw = raw

    def reveal(self) -> bytes:
        return self._raw

    def __repr__(self) -> str:
        return "DeploymentSecret('**********')"


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: DeploymentSecret = field(repr=False)
    public_url: str = "http://127.0.0.1:8000"
    argon2: Argon2Params = OWASP_MINIMUM
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    login_failures_allowed: int = 5
    login_lockout: timedelta = timedelta(minutes=15)
    max_body_bytes: int = 60 * 1024 * 1024
    sqlite_synchronous: str = "FULL"
    https: bool = False
    handin_deadline_working_days: int = 2  # 红包上缴: days off and 调休 are in intake/workdays.py
    # Notices to a real-name reporter, in working days (检举控告工作规则: 15 for acceptance and for the result).
    acceptance_notice_workdays: int = 15
    result_notice_workdays: int = 15
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, "" for none):
    # behind nginx the throttles must count the client, not the proxy. Passed to uvicorn's forwarded_allow_ips.
    trusted_proxies: str = ""
    retention_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RETENTION_DAYS))
    # A folder shared by this deployment's worker processes and nobody else's: their lock files (intake/costly.py).
    # None: each worker on its own.
    home: Path | None = None
    open_ratings_per_hour: int = 30  # open-poster ratings per client address and hour (see intake/ratings.py)
    body_idle_seconds: float = 20.0  # a request body that stalls this long is refused with 408

    @property
    def templates_dir(self) -> Path:
        return ROOT / "templates"

    @property
    def static_dir(self) -> Path:
        return ROOT / "static"


def read_secret_file(path: Path) -> DeploymentSecret:
    """Read the deployment secret, or say exactly what is wrong with the file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise SettingsError(
            f"the secret key file {path} is missing: run `portal init` to create one, "
            "or set PORTAL_SECRET_FILE to where it is"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"the secret key file {path} cannot be read: {exc}") from None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SettingsError(
            f"the secret key file {path} is corrupt (expected 64 hexadecimal characters): restore it "
            "from your backup; without it no receipt code can be checked"
        )
    return DeploymentSecret(raw)


def write_secret_file(path: Path) -> DeploymentSecret:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(raw.hex() + "\n")
    return DeploymentSecret(raw)


def home_dir() -> Path:
    return Path(os.environ.get("PORTAL_HOME", DEFAULT_HOME))


def database_url_from_env() -> str:
    url = os.environ.get("PORTAL_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{home_dir() / 'portal.db'}"


def secret_path_from_env() -> Path:
    return Path(os.environ.get("PORTAL_SECRET_FILE", home_dir() / "secret.key"))


def from_env() -> Settings:
    """Build the settings from PORTAL_* variables, refusing what would be unsafe."""
    public_url = os.environ.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise SettingsError("PORTAL_PUBLIC_URL must start with http:// or https://")
    return Settings(
        database_url=database_url_from_env(),
        secret=read_secret_file(secret_path_from_env()),
        public_url=public_url,
        https=public_url.startswith("https://"),
        sqlite_synchronous=os.environ.get("PORTAL_SQLITE_SYNCHRONOUS", "FULL").upper(),
        handin_deadline_working_days=_workdays("PORTAL_HANDIN_DEADLINE_DAYS", default=2, maximum=30),
        acceptance_notice_workdays=_workdays("PORTAL_ACCEPTANCE_NOTICE_WORKDAYS"),
        result_notice_workdays=_workdays("PORTAL_RESULT_NOTICE_WORKDAYS"),
        trusted_proxies=_trusted_proxies(),
        retention_days=retention_days_from_env(),
        body_idle_seconds=_idle_seconds_from_env(),
        open_ratings_per_hour=_count("PORTAL_OPEN_RATINGS_PER_HOUR", default=30),
        home=home_dir(),
    )


def _count(name: str, *, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a positive whole number")
    return int(raw)


def _trusted_proxies() -> str:
    import ipaddress

    raw = os.environ.get("PORTAL_TRUSTED_PROXIES", "").strip()
    entries = [e.strip() for e in raw.split(",") if e.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"PORTAL_TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.5,10.1.0.0/24)"
            ) from None
    return ",".join(entries)


def _workdays(name: str, default: int = 15, maximum: int = 90) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise SettingsError(f"{name} must be a number of working days between 1 and {maximum}")
    return int(raw)


def _idle_seconds_from_env() -> float:
    typed = os.environ.get("PORTAL_BODY_IDLE_SECONDS", "20").strip()
    try:
        seconds = float(typed)
    except ValueError:
        seconds = 0.0
    if not 0.5 <= seconds <= 600:
        raise SettingsError("PORTAL_BODY_IDLE_SECONDS must be a number of seconds from 0.5 to 600")
    return seconds


def retention_days_from_env() -> dict[str, int]:
    days = dict(DEFAULT_RETENTION_DAYS)
    for kind in days:
        name = f"PORTAL_RETENTION_{kind.upper()}_DAYS"
        typed = os.environ.get(name, "").strip()
        if typed:
            if not typed.isdigit() or not 30 <= int(typed) <= 36500:
                raise SettingsError(f"{name} must be a number of days from 30 to 36500")
            days[kind] = int(typed)
    return days
