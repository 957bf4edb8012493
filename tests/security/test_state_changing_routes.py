"""Walk the route table: every state-changing route refuses a cross-site request, a missing CSRF token and a GET.

A new POST route is covered automatically; one that forgets `read_form`/`check_csrf` fails here.
"""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route

from portal.app import route_table

SAMPLE_PARAMS = {"str": "sample", "int": "1", "path": "sample"}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::(\w+))?\}", lambda m: SAMPLE_PARAMS.get(m.group(2) or "str", "1"), path)


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
def test_a_request_without_the_csrf_token_is_refused(head_client, method, path):
    response = head_client.request(method, concrete(path), data={"anything": "1"}, follow_redirects=False)
    assert response.status_code == 403, f"{method} {path} accepted a request without a CSRF token"


@pytest.mark.parametrize(("method", "path"), state_changing_routes())
def test_a_get_does_not_change_state(head_client, method, path):
    paths_with_get = {
        route.path for route in route_table() if isinstance(route, Route) and route.methods and "GET" in route.methods
    }
    if path in paths_with_get:
        pytest.skip("the same path serves a page on GET")
    assert head_client.get(concrete(path), follow_redirects=False).status_code == 405
