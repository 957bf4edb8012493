"""The figures: one entry each. Adding an intake endpoint to the benchmark is adding one `Scenario` here.

A scenario names its server ("portal" or "reference"), method and path ({code} is a clinical department's
patient poster), how to build request bodies (URL-encoded forms; the CSRF token is filled in for you), whether
it needs a logged-in officer, the concurrency, the reference it is read against, and its goal.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from crypto import load_public_key, seal
from intake.models import SubmissionKind
from intake.sealing import encode_payload, submission_context


@dataclass(frozen=True)
class Goal:
    min_rps: float | None = None  # on the largest worker count measured
    max_p50_ms: float | None = None
    max_p99_ms: float | None = None
    zero_errors: bool = True
    workers: int = 2  # the worker count the goal is stated for
    text: str = ""

    def met(self, *, rps: float, p50_ms: float, p99_ms: float, errors: int) -> bool:
        return ((self.min_rps is None or rps >= self.min_rps)
                and (self.max_p50_ms is None or p50_ms <= self.max_p50_ms)
                and (self.max_p99_ms is None or p99_ms <= self.max_p99_ms)
                and (not self.zero_errors or errors == 0))


@dataclass(frozen=True)
class Context:
    """What body builders may use: the poster, the office's public key, and the seal context of a place."""

    code: str
    hospital_id: int
    department_id: int
    office_public_key: bytes

    def presealed(self, kind: SubmissionKind, fields: dict[str, str]) -> str:
        """An envelope as the browser would seal it (base64url), for the sealed-in-browser path."""
        import base64

        context = submission_context(kind=kind, hospital_id=self.hospital_id, department_id=self.department_id)
        envelope = seal(load_public_key(self.office_public_key),
                        encode_payload({"v": 1, "fields": fields, "attachments": []}), associated_data=context)
        return base64.urlsafe_b64encode(envelope).decode().rstrip("=")


BodyBuilder = Callable[[Context, random.Random], dict[str, str]]


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str  # "portal" (the product, on SQLite and PostgreSQL) or "reference"
    method: str
    path: str
    body: BodyBuilder | None = None
    officer: bool = False  # send the logged-in officer's session cookie
    connections: int = 32
    reference: str = "page"  # the reference figure this one is read against: "page" or "seal"
    goal: Goal | None = None
    smoke: bool = True  # part of the seconds-long CI run
    variants: int = 64  # distinct bodies cycled through
    multipart: bool = False  # sent as multipart/form-data (the report form's upload path)
    note: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)


def rating_form(ctx: Context, rng: random.Random) -> dict[str, str]:
    """A plausible server-sealed rating: a few answers on a 1-5 scale and sometimes a comment."""
    answers = {f"q{n}": str(rng.randint(1, 5)) for n in range(1, 7)}
    if rng.random() < 0.2:
        answers["comment"] = "医生态度很好，没有收红包。"
    return answers


def questionnaire(ctx: Context, rng: random.Random) -> dict[str, str]:
    """The real rating form (intake/questionnaire.py): seven answers, sometimes a comment."""
    answers = {
        "overall": str(rng.randint(1, 5)), "red_envelope": rng.choice(["no", "no", "no", "unsure", "yes"]),
        "outside_purchase": rng.choice(["no", "no", "yes"]), "unnecessary": rng.choice(["no", "no", "unsure"]),
        "fees_clear": str(rng.randint(1, 5)), "attitude": str(rng.randint(1, 5)),
        "recommend": rng.choice(["definitely", "probably", "probably_not", "definitely_not"]),
    }
    if rng.random() < 0.2:
        answers["comment"] = "医生态度很好，没有收红包。"
    return answers


def report_form(ctx: Context, rng: random.Random) -> dict[str, str]:
    return {"who": "某医生", "what": "手术前暗示需要送红包，金额约两千元。" * rng.randint(1, 4), "when": "2025-05"}


SCENARIOS: list[Scenario] = [
    # The reference, measured in the same run with the same uvicorn settings.
    Scenario("reference: bare Starlette page", "reference", "GET", "/", reference="page"),
    Scenario("reference: parse, seal, insert (SQLite FULL, on the loop)", "reference", "POST", "/seal",
             body=rating_form, reference="seal"),
    Scenario("trap: parse, seal, insert (SQLite NORMAL)", "reference", "POST", "/seal-normal",
             body=rating_form, reference="seal", smoke=False, note="fsync policy"),
    Scenario("trap: parse, seal, insert in the thread pool", "reference", "POST", "/seal-pool",
             body=rating_form, reference="seal", smoke=False, note="SQLite writes over a thread pool"),
    Scenario("mechanism: parse, seal, insert through the group commit (SQLite FULL)", "reference", "POST",
             "/seal-group", body=rating_form, reference="seal", note="intake/group_commit.py"),
    # The product, measurable on main today.
    Scenario("public chooser page GET /q/{code}", "portal", "GET", "/q/{code}"),
    Scenario("office login page", "portal", "GET", "/office/login"),
    Scenario("office inbox (logged in, seeded items)", "portal", "GET", "/office/", officer=True, connections=4,
             goal=Goal(max_p50_ms=200, zero_errors=True, text="inbox p50 <= 200 ms")),
    # The foundation's path of a submission (bench/probe.py: an ORM session per request, no group commit), kept
    # as the "before" of the product's own endpoints below; the goals are theirs.
    Scenario("probe: server-sealed submission, no receipt (foundation path)", "portal", "POST",
             "/bench/sealed/{code}", body=rating_form, reference="seal"),
    Scenario("probe: submission with receipt, one Argon2id (foundation path)", "portal", "POST",
             "/bench/receipt/{code}", body=report_form, reference="seal"),
    # The product's own intake endpoints.
    Scenario("ratings intake, server-sealed (POST /q/{code}/rate)", "portal", "POST", "/q/{code}/rate",
             body=questionnaire, reference="seal",
             goal=Goal(min_rps=2000, max_p99_ms=50, text=">= 2,000/s, p99 < 50 ms, 0 errors")),
    Scenario("ratings intake, sealed in the browser", "portal", "POST", "/q/{code}/rate",
             body=lambda ctx, rng: {"envelope": ctx.presealed(SubmissionKind.RATING, questionnaire(ctx, rng))},
             reference="seal", goal=Goal(min_rps=2500, text=">= 2,500/s")),
    Scenario("report intake with receipt, no JavaScript (POST /report/{code})", "portal", "POST", "/report/{code}",
             body=lambda ctx, rng: {"category": "red_envelope", **report_form(ctx, rng)}, reference="seal",
             goal=Goal(min_rps=80, text=">= 80/s, 0 errors"), multipart=True),
]


MULTIPART_BOUNDARY = "hipbenchboundary7f3a"


def _multipart(fields: dict[str, str]) -> bytes:
    parts = [f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields.items()]
    return ("".join(parts) + f"--{MULTIPART_BOUNDARY}--\r\n").encode("utf-8")


def form_bodies(scenario: Scenario, ctx: Context, csrf_token: str) -> tuple[bytes, ...]:
    if scenario.body is None:
        return ()
    rng = random.Random(scenario.name)  # the same bodies in every run
    encode = _multipart if scenario.multipart else (lambda f: urlencode(f).encode("ascii"))
    return tuple(encode({**scenario.body(ctx, rng), "csrf_token": csrf_token}) for _ in range(scenario.variants))
