"""Every route × every kind of person: the status each one gets, in one table, with real ids in the paths.

A route that is not in the table fails the test: whoever adds a route says here who may use it.
Statuses: 200 page, 303 redirect (to the login page for an office page without a session, to /follow without a
follow-up session), 400 refused input, 403 refused person, 404 not this office's record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.app import PortalApp, route_table
from tests.handin_helpers import valid_form
from tests.reporting import FULL_REPORT
from tests.security.cast import MARK_A, PEOPLE, REPLY_A, Cast, assemble

# How each route is called: the path with real ids, the body ("form", "multipart" or None) and its fields.
# Then what each person gets, in the order of PEOPLE:
#   anonymous, reporter A (with a follow-up session), reporter B (with hers), officer of hospital 1,
#   officer of hospital 2, head of hospital 1, administrator of hospital 1 (holds no key), authority officer.
MATRIX: dict[tuple[str, str], tuple[str, str | None, dict[str, str], str]] = {
    ("GET", "/"): ("/", None, {}, "200 200 200 200 200 200 200 200"),
    ("POST", "/lang"): ("/lang", "form", {"lang": "zh", "next": "/"}, "303 303 303 303 303 303 303 303"),
    ("GET", "/q/{code:str}"): ("/q/{code}", None, {}, "200 200 200 200 200 200 200 200"),
    ("GET", "/q/{code:str}/report"): ("/q/{code}/report", None, {}, "200 200 200 200 200 200 200 200"),
    ("POST", "/report/{code:str}"): ("/report/{code}", "multipart", FULL_REPORT, "200 200 200 200 200 200 200 200"),
    ("GET", "/follow"): ("/follow", None, {}, "200 303 303 200 200 200 200 200"),
    ("POST", "/follow"): ("/follow", "form", {"code": "1234 5678 9012 3456 7890"},
                          "400 400 400 400 400 400 400 400"),
    ("GET", "/follow/view"): ("/follow/view", None, {}, "303 200 200 303 303 303 303 303"),
    ("POST", "/follow/reply"): ("/follow/reply", "multipart", {"text": "补充"}, "303 303 303 303 303 303 303 303"),
    ("POST", "/follow/certificate"): ("/follow/certificate", "form", {}, "303 404 404 303 303 303 303 303"),
    ("GET", "/office/login"): ("/office/login", None, {}, "200 200 200 303 303 303 303 303"),
    ("POST", "/office/login"): ("/office/login", "form", {"username": "nobody-PERSON", "password": "x" * 12,
                                                          "totp": "123456"}, "400 400 400 400 400 400 400 400"),
    ("GET", "/office/"): ("/office/", None, {}, "303 303 303 200 200 200 200 200"),
    ("GET", "/office/submissions/{submission_id:str}"): (
        "/office/submissions/{submission_id}", None, {}, "303 303 303 200 404 200 403 404"),
    ("POST", "/office/submissions/{submission_id:str}/identity"): (
        "/office/submissions/{submission_id}/identity", "form", {}, "303 303 303 200 404 200 403 404"),
    ("POST", "/office/submissions/{submission_id:str}/reply"): (
        "/office/submissions/{submission_id}/reply", "form", {"text": "请补充时间"}, "303 303 303 303 404 303 403 404"),
    ("POST", "/office/submissions/{submission_id:str}/status"): (
        "/office/submissions/{submission_id}/status", "form", {"status": "accepted", "result": ""},
        "303 303 303 303 404 303 403 404"),
    ("GET", "/office/submissions/{submission_id:str}/files/{attachment_id:str}"): (
        "/office/submissions/{submission_id}/files/{attachment_id}", None, {}, "303 303 303 200 404 200 403 404"),
    ("GET", "/office/posters"): ("/office/posters", None, {}, "303 303 303 200 200 200 200 200"),
        # Posters are public information: the administrator prints them too; the authority has no hospital's posters.
    ("GET", "/office/posters/posters.pdf"): ("/office/posters/posters.pdf", None, {},
                                             "303 303 303 200 200 200 200 404"),
    ("GET", "/office/posters/preview.png"): ("/office/posters/preview.png", None, {},
                                             "303 303 303 200 200 200 200 404"),
    ("GET", "/office/posters/print"): ("/office/posters/print", None, {}, "303 303 303 200 200 200 200 404"),
    ("GET", "/q/{code:str}/handin"): ("/q/{staff_code}/handin", None, {}, "200 200 200 200 200 200 200 200"),
    ("POST", "/q/{code:str}/handin"): ("/q/{staff_code}/handin", "form", {}, "200 200 200 200 200 200 200 200"),
    ("GET", "/verify/{number:str}"): ("/verify/{number}?sig={sig}", None, {}, "200 200 200 200 200 200 200 200"),
    ("GET", "/office/handins"): ("/office/handins", None, {}, "303 303 303 200 200 200 403 200"),
    ("GET", "/office/handins/summary"): ("/office/handins/summary", None, {}, "303 303 303 200 200 200 403 200"),
    ("GET", "/office/handins/summary.xlsx"): ("/office/handins/summary.xlsx", None, {},
                                              "303 303 303 200 200 200 403 200"),
    ("GET", "/office/handins/{submission_id:str}"): ("/office/handins/{handin_id}", None, {},
                                                     "303 303 303 200 404 200 403 404"),
    ("POST", "/office/handins/{submission_id:str}/confirm"): (
        "/office/handins/{handin_id}/confirm", "form", {}, "303 303 303 303 404 303 403 404"),
    ("POST", "/office/handins/{submission_id:str}/handling"): (
        "/office/handins/{handin_id}/handling", "form", {"handling": "returned", "handler": "财务科",
                                                          "slip_number": "", "handled_on": "TODAY"},
        "303 303 303 303 404 303 403 404"),
    ("GET", "/office/handins/{submission_id:str}/certificate.pdf"): (
        "/office/handins/{handin_id}/certificate.pdf", None, {}, "303 303 303 200 404 200 403 404"),
    # Last: these end the person's session.
    ("POST", "/follow/end"): ("/follow/end", "form", {}, "303 303 303 303 303 303 303 303"),
    ("POST", "/office/logout"): ("/office/logout", "form", {}, "303 303 303 303 303 303 303 303"),
}


def routes_of_the_app() -> set[tuple[str, str]]:
    found = set()
    for route in route_table():
        if isinstance(route, Route) and route.methods:
            found |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return found


def csrf_for(app: PortalApp, client: TestClient) -> str:
    """The token this browser's pages carry (an HMAC of its CSRF cookie), as a page would give it."""
    cookie = client.cookies.get("hip_csrf") or ""
    digest = hmac.new(app.starlette.state.csrf_key, b"csrf:" + cookie.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def call(app: PortalApp, cast: Cast, person: str, method: str, path: str, body: str | None,
         fields: dict[str, str]) -> int:
    client = cast.clients[person]
    url = cast.fill(path)
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    if not client.cookies.get("hip_csrf"):
        client.get("/")
    # Placeholders: today's date; the person's name where a shared value would trip a per-account throttle.
    fields = {name: (date.today().isoformat() if value == "TODAY" else value.replace("PERSON", person.replace("_", "")))
              for name, value in fields.items()}
    if path == "/q/{staff_code}/handin":
        fields = valid_form()
    data = {"csrf_token": csrf_for(app, client), **fields}
    if body == "multipart":
        response = client.post(url, data=data, files=[("files", ("", b"", "application/octet-stream"))],
                               follow_redirects=False)
    else:
        response = client.post(url, data=data, follow_redirects=False)
    return response.status_code


def test_every_route_of_the_app_is_in_the_table():
    missing = routes_of_the_app() - set(MATRIX)
    stale = set(MATRIX) - routes_of_the_app()
    assert not missing, f"classify these routes in MATRIX (who gets which status): {sorted(missing)}"
    assert not stale, f"routes in MATRIX that the app no longer has: {sorted(stale)}"


@pytest.fixture
def cast(app, db, settings, deployment, client) -> Cast:  # type: ignore[no-untyped-def]
    return assemble(app, db, settings, deployment)


def test_every_person_gets_the_expected_status_on_every_route(app, cast):
    # First what the statuses cannot show: whose content a 200 carries.
    view_a = cast.clients["reporter_a"].get("/follow/view").text
    view_b = cast.clients["reporter_b"].get("/follow/view").text
    assert REPLY_A in view_a
    assert REPLY_A not in view_b and MARK_A not in view_b
    for person in ("officer_2", "authority", "admin"):
        inbox = cast.clients[person].get("/office/").text
        assert cast.values["submission_id"] not in inbox and cast.values["handin_id"] not in inbox

    deviations = []
    cells = 0
    for (method, _route), (path, body, fields, expected) in MATRIX.items():
        for person, want in zip(PEOPLE, expected.split(), strict=True):
            got = call(app, cast, person, method, path, body, fields)
            cells += 1
            if str(got) != want:
                deviations.append(f"{person:11} {method:4} {path}: expected {want}, got {got}")
    assert cells == len(MATRIX) * len(PEOPLE)
    assert not deviations, "\n".join(deviations)
