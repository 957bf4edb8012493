"""Equal timing with the real Argon2id parameters: a wrong code, an unknown code, a malformed one and a throttled
one take the same time (medians within 10 ms) and get the same answer."""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from crypto import OWASP_MINIMUM, generate_receipt
from intake.followup import FollowLimits
from portal.app import create_app
from tests.helpers import csrf_of
from tests.reporting import FULL_REPORT, Reporter, poster_code, receipt_on

pytestmark = pytest.mark.slow
SAMPLES = 25
TOLERANCE_S = 0.010


def answer_of(html: str) -> str:
    """The page less what legitimately differs: the echoed code and the CSRF token."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return re.sub(r'name="code"[^>]*value="[^"]*"', 'name="code"', html)


def test_wrong_unknown_malformed_and_throttled_codes_look_and_take_the_same(settings, db, deployment):
    app = create_app(replace(settings, argon2=OWASP_MINIMUM), database=db, run_migrations=False)
    with TestClient(app) as client:
        page = Reporter(client).file(poster_code(db), FULL_REPORT)
        real = receipt_on(page.text).replace(" ", "")
        wrong = real[:-1] + str((int(real[-1]) + 1) % 10)
        token = csrf_of(client.get("/follow").text)
        app.starlette.state.follow_limits = FollowLimits(per_client=10**6, overall=10**6)

        def timed(code: str) -> tuple[float, str]:
            started = time.perf_counter()
            response = client.post("/follow", data={"csrf_token": token, "code": code}, follow_redirects=False)
            elapsed = time.perf_counter() - started
            assert response.status_code == 400
            return elapsed, answer_of(response.text)

        for _ in range(5):  # warm up: the throttled path imitates the median of recent derivations
            timed(generate_receipt())
        samples: dict[str, list[float]] = {"wrong": [], "unknown": [], "malformed": [], "throttled": []}
        answers: dict[str, set[str]] = {name: set() for name in samples}
        for _ in range(SAMPLES):
            for name, code in (("wrong", wrong), ("unknown", generate_receipt()), ("malformed", "1234-56")):
                elapsed, answer = timed(code)
                samples[name].append(elapsed)
                answers[name].add(answer)
        app.starlette.state.follow_limits = FollowLimits(per_client=0, overall=10**6)
        for _ in range(SAMPLES):
            elapsed, answer = timed(real)  # even the right code, once throttled
            samples["throttled"].append(elapsed)
            answers["throttled"].add(answer)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print("\nmedian /follow time (ms): " + ", ".join(f"{k} {v * 1000:.1f}" for k, v in medians.items()))
    assert max(medians.values()) - min(medians.values()) < TOLERANCE_S, medians
    assert len(set().union(*answers.values())) == 1  # one answer for all four
