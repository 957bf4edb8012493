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
from sqlalchemy import func, select
from starlette.routing import Route
from starlette.testclient import TestClient

from intake.rating_models import Rating, RatingCodeBatch
from portal.app import PortalApp, route_table
from portal.clue_models import ClueReport
from portal.db import Database
from portal.models import KeyGrant, Officer
from portal.rating_models import AlertStatus, RatingAlert
from portal.region_models import ClueTransfer
from tests.handin_helpers import valid_form
from tests.helpers import PASSWORD
from tests.portal.workbench_support import clue_form
from tests.rating_helpers import GOOD
from tests.reporting import FULL_REPORT
from tests.security.cast import MARK_A, PEOPLE, REPLY_A, Cast, assemble

RATING = {**GOOD, "comment": "", "code": ""}
NEW_PASSWORD = "matrix-new-password-PERSON"

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
    ("GET", "/q/{code:str}/rate"): ("/q/{code}/rate", None, {}, "200 200 200 200 200 200 200 200"),
    ("POST", "/q/{code:str}/rate"): ("/q/{code}/rate", "form", RATING, "303 303 303 303 303 303 303 303"),
    ("GET", "/q/{code:str}/rate/thanks"): ("/q/{code}/rate/thanks?sealed=server", None, {},
                                           "200 200 200 200 200 200 200 200"),
    # The ratings pages read sealed counters and alerts: the office's readers only. The authority takes no ratings
    # (no hospital of its own: 404); its list of alerts is its own office's, empty.
    ("GET", "/office/ratings"): ("/office/ratings", None, {}, "303 303 303 200 200 200 403 404"),
    ("POST", "/office/ratings/rollup"): ("/office/ratings/rollup", "form", {}, "303 303 303 303 303 303 403 404"),
    ("GET", "/office/ratings/export.xlsx"): ("/office/ratings/export.xlsx", None, {},
                                             "303 303 303 200 200 200 403 404"),
    ("GET", "/office/ratings/alerts"): ("/office/ratings/alerts", None, {}, "303 303 303 200 200 200 403 200"),
    ("POST", "/office/ratings/alerts/{alert_id:str}/handled"): (
        "/office/ratings/alerts/{alert_id}/handled", "form", {}, "303 303 303 303 404 303 403 404"),
    ("GET", "/office/ratings/codes"): ("/office/ratings/codes", None, {}, "303 303 303 200 200 200 403 404"),
    ("POST", "/office/ratings/codes"): ("/office/ratings/codes", "form",
                                        {"label": "出院结算 PERSON", "size": "2", "department": ""},
                                        "303 303 303 303 303 303 403 404"),
    ("GET", "/office/ratings/codes/{batch_id:int}/sheet"): (
        "/office/ratings/codes/{batch_id}/sheet", None, {}, "303 303 303 200 404 200 403 404"),
    ("GET", "/office/ratings/codes/{batch_id:int}/codes.csv"): (
        "/office/ratings/codes/{batch_id}/codes.csv", None, {}, "303 303 303 200 404 200 403 404"),
    ("POST", "/office/ratings/codes/{batch_id:int}/void"): (
        "/office/ratings/codes/{batch_id}/void", "form", {}, "303 303 303 303 404 303 403 404"),
    # The workbench: every reader works on their own office's lists; one clue of hospital 1 is refused to others.
    ("GET", "/office/work"): ("/office/work?show=all", None, {}, "303 303 303 200 200 200 403 200"),
    # A foreign item among the ticked ones is refused input (400), the same answer as for an unknown one.
    ("POST", "/office/work/assign"): ("/office/work/assign", "form",
                                      {"item": "report:{submission_id}", "assignee_id": ""},
                                      "303 303 303 303 400 303 403 400"),
    ("GET", "/office/clues"): ("/office/clues", None, {}, "303 303 303 200 200 200 403 200"),
    ("GET", "/office/clues/new"): ("/office/clues/new", None, {}, "303 303 303 200 200 200 403 200"),
    ("POST", "/office/clues/new"): ("/office/clues/new", "form", clue_form(summary="新线索 PERSON"),
                                    "303 303 303 303 303 303 403 303"),
    ("POST", "/office/clues/link"): ("/office/clues/link", "form",
                                     {"submission_id": "{link_report}", "clue_id": "{clue_id}"},
                                     "303 303 303 303 403 303 403 403"),
    ("GET", "/office/clues/{clue_id:int}"): ("/office/clues/{clue_id}", None, {}, "303 303 303 200 403 200 403 403"),
    # Saved as it stands (no change, so the version stays and the next person's form is not stale).
    ("POST", "/office/clues/{clue_id:int}"): ("/office/clues/{clue_id}", "form",
                                              {**clue_form(), "version": "1"}, "303 303 303 303 403 303 403 403"),
    ("POST", "/office/clues/{clue_id:int}/notices"): (
        "/office/clues/{clue_id}/notices", "form", {"submission_id": "{submission_id}", "kind": "acceptance",
                                                    "via": "phone"}, "303 303 303 303 403 303 403 403"),
    # 上报: the head of the clue's office, holding its key.
    ("POST", "/office/clues/{clue_id:int}/transfer"): (
        "/office/clues/{transfer_clue_id}/transfer", "form", {"to_office_id": "{authority_office_id}"},
        "303 303 303 403 403 303 403 403"),
    ("GET", "/office/transfers"): ("/office/transfers", None, {}, "303 303 303 200 200 200 403 200"),
    ("GET", "/office/exports"): ("/office/exports", None, {}, "303 303 303 200 200 200 403 200"),
    ("GET", "/office/exports/ledger.xlsx"): ("/office/exports/ledger.xlsx", None, {},
                                             "303 303 303 200 200 200 403 200"),
    ("GET", "/office/exports/summary.xlsx"): ("/office/exports/summary.xlsx", None, {},
                                              "303 303 303 200 200 200 403 200"),
    ("GET", "/office/exports/quarterly.xlsx"): ("/office/exports/quarterly.xlsx?year=2025&quarter=4", None, {},
                                                "303 303 303 200 200 200 403 200"),
    # The audit log is the head's.
    ("GET", "/office/audit"): ("/office/audit", None, {}, "303 303 303 403 403 200 403 403"),
    ("POST", "/office/audit/verify"): ("/office/audit/verify", "form", {}, "303 303 303 403 403 200 403 403"),
    # The region: any officer of the authority; hospitals are added by the authority's administrator only (the
    # cast's administrator is hospital 1's).
    ("GET", "/office/region"): ("/office/region", None, {}, "303 303 303 403 403 403 403 200"),
    ("POST", "/office/region/verify"): ("/office/region/verify", "form", {}, "303 303 303 403 403 403 403 303"),
    ("GET", "/office/region/quarterly.xlsx"): ("/office/region/quarterly.xlsx", None, {},
                                               "303 303 303 403 403 403 403 200"),
    ("GET", "/office/hospitals"): ("/office/hospitals", None, {}, "303 303 303 403 403 403 403 403"),
    ("GET", "/office/hospitals/new"): ("/office/hospitals/new", None, {}, "303 303 303 403 403 403 403 403"),
    ("POST", "/office/hospitals"): ("/office/hospitals", "form",
                                    {"name": "示例市第三人民医院", "code": "city3", "hotline": "",
                                     "head_username": "wang3", "head_name": "王主任",
                                     "departments": "名称,类别\n骨科,临床"},
                                    "303 303 303 403 403 403 403 403"),
    # Accounts: the head and the administrator of the office (the administrator creates accounts without keys, only
    # the head grants keys); everyone changes their own password.
    ("GET", "/office/officers"): ("/office/officers", None, {}, "303 303 303 403 403 200 200 403"),
    ("GET", "/office/officers/{officer_id:int}/reset"): ("/office/officers/{reset_id}/reset", None, {},
                                                         "303 303 303 403 403 200 200 403"),
    ("GET", "/office/password"): ("/office/password", None, {}, "303 303 303 200 200 200 200 200"),
    # Next: these change accounts.
    ("POST", "/office/officers"): ("/office/officers", "form",
                                   {"username": "new-PERSON", "display_name": "新干部", "role": "officer"},
                                   "303 303 303 403 403 200 200 403"),
    ("POST", "/office/officers/{officer_id:int}/grant"): ("/office/officers/{grantee_id}/grant", "form", {},
                                                          "303 303 303 403 403 303 403 403"),
    ("POST", "/office/officers/{officer_id:int}/reset"): (
        "/office/officers/{reset_id}/reset", "form", {"recovery_code": "{recovery_code}"},
        "303 303 303 403 403 200 200 403"),
    ("POST", "/office/officers/{officer_id:int}/remove"): ("/office/officers/{leaver_id}/remove", "form", {},
                                                           "303 303 303 403 403 303 303 403"),
    ("POST", "/office/password"): ("/office/password", "form",
                                   {"old": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD},
                                   "303 303 303 200 200 200 200 200"),
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
    url = cast.fill(path, person)
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    if not client.cookies.get("hip_csrf"):
        client.get("/")
    # Placeholders: today's date; the person's name where a shared value would trip a per-account throttle.
    # Ids in a field are filled like the path's.
    fields = {name: (date.today().isoformat() if value == "TODAY"
                     else cast.fill(value.replace("PERSON", person.replace("_", "")), person))
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


def test_every_person_gets_the_expected_status_on_every_route(app, db, cast):
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
    changes_were_made_by_exactly_those_allowed(db, cast)


def changes_were_made_by_exactly_those_allowed(db: Database, cast: Cast) -> None:
    """What a 303 on a state-changing route cannot show: the change happened, and only for those allowed."""
    own = {person: cast.own[person] for person in ("officer_1", "head_1", "admin")}
    with db.transaction() as session:
        # 上报 by the head: the clue now has a record of its move to the authority.
        moved = session.scalar(select(ClueTransfer)
                               .where(ClueTransfer.from_clue_id == int(cast.values["transfer_clue_id"])))
        assert moved is not None and moved.to_office_id == int(cast.values["authority_office_id"])
        # Reports joined to hospital 1's clue by its two readers, the one the others tried is not.
        linked = set(session.scalars(select(ClueReport.submission_id)
                                     .where(ClueReport.clue_id == int(cast.values["clue_id"]))))
        assert {own["officer_1"]["link_report"], own["head_1"]["link_report"]} <= linked
        assert cast.values["link_report"] not in linked
        # Alerts handled and batches voided by hospital 1's readers; the shared ones, tried by others, untouched.
        status = dict(session.execute(select(RatingAlert.id, RatingAlert.status)).all())
        assert status[own["officer_1"]["alert_id"]] == status[own["head_1"]["alert_id"]] == AlertStatus.HANDLED
        assert status[cast.values["alert_id"]] == AlertStatus.NEW
        voided = dict(session.execute(select(RatingCodeBatch.id, RatingCodeBatch.voided_at)).all())
        assert voided[int(own["officer_1"]["batch_id"])] and voided[int(own["head_1"]["batch_id"])]
        assert voided[int(cast.values["batch_id"])] is None
        # Accounts: the head granted the keyless account; the head and the administrator each removed one; the
        # account the administrator created holds no key, the head's holds the office's.
        officers = {o.username: o for o in session.scalars(select(Officer))}
        keys = dict(session.execute(select(KeyGrant.officer_id, func.count()).group_by(KeyGrant.officer_id)).all())
        assert keys.get(officers["grantee"].id, 0) >= 1
        assert not officers["leaver-head_1"].active and not officers["leaver-admin"].active
        assert officers["leaver"].active
        assert keys.get(officers["new-head1"].id, 0) >= 1 and keys.get(officers["new-admin"].id, 0) == 0
        assert not {"new-officer1", "new-officer2", "new-authority"} & set(officers)
        # One rating per person (the form is public).
        assert session.scalar(select(func.count()).select_from(Rating)) == len(PEOPLE)
