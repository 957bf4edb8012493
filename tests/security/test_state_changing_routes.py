"""Walk the route table: every state-changing route refuses a cross-site request, a missing CSRF token and a GET.

A new POST route is covered automatically; one that forgets `read_form`/`check_csrf` fails here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.routing import Route

from intake.models import Audience, Poster
from portal.app import route_table

SAMPLE_PARAMS = {"str": "sample", "int": "1", "path": "sample"}


def concrete(path: str, db=None) -> str:  # type: ignore[no-untyped-def]
    """The path with real values where the app needs them to get as far as the CSRF check (a poster code)."""
    values = dict(SAMPLE_PARAMS)
    if db is not None:
        with db.transaction() as session:
            values["code"] = session.scalar(select(Poster.code).where(Poster.audience == Audience.PATIENT)) or "x"
    return re.sub(r"\{(\w+)(?::(\w+))?\}",
                  lambda m: values.get(m.group(1), values.get(m.group(2) or "str", "1")), path)


def state_changing_routes() -> list[tuple[str, str]]:
    found = []
    for route in route_table():
        if isinstance(route, Route) and route.methods:
            for method in sorted(route.methods - {"GET", "HEAD", "OPTIONS"}):
                found.append((method, route.path))
    return found


def test_there_are_routes_to_walk():
    assert ("POST", "/office/login") in state_changing_routes()


@pytest.mark.parametrize(("method", "path"), state_changing_routes())
def test_cross_site_requests_are_refused(client, deployment, method, path):
    response = client.request(method, concrete(path), headers={"sec-fetch-site": "cross-site"},
                              data={"csrf_token": "whatever"})
    assert response.status_code == 403
    response = client.request(method, concrete(path), headers={"origin": "https://evil.example"})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), state_changing_routes())
def test_a_request_without_the_csrf_token_is_refused(head_client, db, method, path):
    # As a plain form and as multipart (upload routes parse only the latter as far as the token).
    url = concrete(path, db)
    plain = head_client.request(method, url, data={"anything": "1"}, follow_redirects=False)
    multipart = head_client.request(method, url, data={"anything": "1"},
                                    files={"note": ("note.txt", b"1", "text/plain")}, follow_redirects=False)
    statuses = {plain.status_code, multipart.status_code}
    assert 403 in statuses and min(statuses) >= 400, f"{method} {path} without a CSRF token answered {statuses}"


@pytest.mark.parametrize(("method", "path"), state_changing_routes())
def test_a_get_does_not_change_state(head_client, method, path):
    paths_with_get = {
        route.path for route in route_table() if isinstance(route, Route) and route.methods and "GET" in route.methods
    }
    if path in paths_with_get:
        pytest.skip("the same path serves a page on GET")
    assert head_client.get(concrete(path), follow_redirects=False).status_code == 405
