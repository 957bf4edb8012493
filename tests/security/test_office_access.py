"""Walk the route table: an account that may not read gets 403 on every office page, and an officer of another
hospital's office gets 403 on every URL that names this office's clues, reports or accounts."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.app import route_table
from portal.models import Role
from tests.helpers import PASSWORD, OfficerActions
from tests.portal.workbench_support import add_officer, clue_form, post, second_hospital, store_report

# Pages every logged-in account may use: logging in and out, its own password, the bare inbox (which says that
# an account without a key sees nothing), and for heads and administrators the accounts page.
NOT_READING = {"/office/login", "/office/logout", "/office/password", "/office/"}
ACCOUNT_PAGES = re.compile(r"^/office/officers")
# Posters carry nothing sealed: whoever runs the office's accounts may print them too.
PUBLIC_MATERIAL = re.compile(r"^/office/posters")
# Pages of one item answer 404 for another office's (they do not say whether it exists).
ONE_ITEM = ("/office/submissions/", "/office/handins/", "/office/ratings/")


def office_routes(methods: set[str]) -> list[tuple[str, str]]:
    found = []
    for route in route_table():
        if isinstance(route, Route) and route.path.startswith("/office") and route.methods:
            found += [(method, route.path) for method in sorted(route.methods & methods)]
    return found


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: ids[m.group(1)], path)


@pytest.fixture
def scene(db, deployment, department, settings, head_client):  # type: ignore[no-untyped-def]
    """This office's report, clue and officer; and the people who must not read them."""
    report = store_report(db, deployment, department, "本院举报内容")
    clue = post(head_client, "/office/clues/new", clue_form(submission_id=report, summary="本院线索"))
    clue_id = clue.headers["location"].split("/")[-1].split("?")[0]
    li = add_officer(db, settings, deployment, "li")
    return {"submission_id": report, "clue_id": clue_id, "officer_id": str(li.officer.id),
            "attachment_id": "0" * 32, "batch_id": "1", "alert_id": "1"}


def logged_in(app, db, username: str, totp: str) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, base_url="http://testserver")
    assert OfficerActions(client, db).login(username, PASSWORD, totp).status_code == 303
    return client


def test_accounts_that_hold_no_key_get_403_on_every_reading_page(app, db, deployment, settings, scene):
    admin = add_officer(db, settings, deployment, "it", role=Role.ADMIN, with_keys=False)
    keyless = add_officer(db, settings, deployment, "new", with_keys=False)
    pages = [(m, p) for m, p in office_routes({"GET"})
             if p not in NOT_READING and not ACCOUNT_PAGES.match(p) and not PUBLIC_MATERIAL.match(p)]
    assert len(pages) >= 8
    for username, totp in (("it", admin.totp_secret), ("new", keyless.totp_secret)):
        client = logged_in(app, db, username, totp)
        for _, path in pages:
            response = client.get(concrete(path, scene), follow_redirects=False)
            assert response.status_code == 403, f"{username} got {response.status_code} on {path}"
            assert "本院" not in response.text
        # A plain officer does not manage accounts either.
        if username == "new":
            assert client.get("/office/officers").status_code == 403


def test_an_officer_of_another_office_gets_403_on_this_office_s_objects(app, db, settings, scene, deployment):
    other = second_hospital(db, settings)
    client = logged_in(app, db, "head2", other.head.totp_secret)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/office/password").text).group(1)
    with_ids = [(m, p) for m, p in office_routes({"GET", "POST"}) if "{" in p]
    assert len(with_ids) >= 8
    for method, path in with_ids:
        url = concrete(path, scene)
        response = client.request(method, url, data={"csrf_token": token, "submission_id": scene["submission_id"]},
                                  follow_redirects=False)
        # Pages of one report or hand-in answer 404 for another office's (they do not say whether it exists).
        allowed = {403, 404} if path.startswith(ONE_ITEM) else {403}
        assert response.status_code in allowed, f"{method} {path}: {response.status_code}"
        assert "本院" not in response.text
    # Lists show only their own office's work.
    for page in ("/office/work?show=all", "/office/clues", "/office/audit"):
        response = client.get(page)
        assert response.status_code == 200 and scene["submission_id"] not in response.text
        assert "本院线索" not in response.text
    ledger = client.get("/office/exports/ledger.xlsx")
    assert ledger.status_code == 200 and b"2025-0001" not in ledger.content
    joined = post(client, "/office/clues/link", {"submission_id": scene["submission_id"], "clue_id": "999"})
    assert joined.status_code in {403, 404}


# The authority's pages: hospital accounts of any role get 403 on them.
AUTHORITY_PAGES = re.compile(r"^/office/(region|hospitals)")


def test_hospital_accounts_get_403_on_the_authority_s_pages(app, db, settings, deployment, head_client):
    pages = [(m, p) for m, p in office_routes({"GET", "POST"}) if AUTHORITY_PAGES.match(p)]
    assert len(pages) >= 5
    admin = add_officer(db, settings, deployment, "it", role=Role.ADMIN, with_keys=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', head_client.get("/office/password").text).group(1)
    for client in (head_client, logged_in(app, db, "it", admin.totp_secret)):
        for method, path in pages:
            response = client.request(method, path, data={"csrf_token": token}, follow_redirects=False)
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"


def test_the_authority_s_officer_reads_nothing_of_a_hospital_s_own_work(app, db, settings, scene, deployment):
    from tests.region.support import authority_officer

    chief = authority_officer(db, settings, deployment, "chief")
    client = logged_in(app, db, "chief", chief.totp_secret)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/office/password").text).group(1)
    for method, path in [(m, p) for m, p in office_routes({"GET", "POST"}) if "{" in p]:
        response = client.request(method, concrete(path, scene),
                                  data={"csrf_token": token, "submission_id": scene["submission_id"]},
                                  follow_redirects=False)
        allowed = {403, 404} if path.startswith(ONE_ITEM) else {403}
        assert response.status_code in allowed, f"{method} {path}: {response.status_code}"
        assert "本院" not in response.text
    # The authority has no hospital and takes no ratings: its navigation offers no ratings page (they answer 404).
    assert 'href="/office/ratings' not in client.get("/office/").text
    for page in ("/office/work?show=all", "/office/clues", "/office/audit", "/office/transfers", "/office/region"):
        response = client.get(page)
        assert response.status_code == 200 and scene["submission_id"] not in response.text
        assert "本院线索" not in response.text
