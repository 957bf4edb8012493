"""Malformed requests on the public routes: a clear 4xx page, never a 500 or a traceback; then a fuzz run.

The slow client and the memory bound need a real server: tests/slow/test_live_server_abuse.py.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from portal.app import SMALL_BODY, route_table
from tests.handin_helpers import staff_poster
from tests.helpers import csrf_of
from tests.reporting import poster_code

FUZZ_EXAMPLES_PER_ROUTE = 60
TRACES = ("Traceback", "File \"", "Error:", "sqlalchemy", "starlette.")


def public_routes() -> list[tuple[str, str]]:
    found = []
    for route in route_table():
        if isinstance(route, Route) and route.methods and (not route.path.startswith("/office")
                                                           or route.path == "/office/login"):
            found += [(method, route.path) for method in sorted(route.methods - {"HEAD"})]
    return found


def fill(path: str, code: str) -> str:
    return re.sub(r"\{\w+(?::\w+)?\}", code, path)


def assert_clear_refusal(response, *allowed: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in allowed, (response.request.url, response.status_code)
    for trace in TRACES:
        assert trace not in response.text
    if response.status_code >= 400:
        assert "<h1>" in response.text  # a page with a title that says what happened, in the reader's language


@pytest.fixture
def token(client, deployment) -> str:  # type: ignore[no-untyped-def]
    return csrf_of(client.get("/follow").text)


def test_invalid_utf8_in_forms_and_in_multipart(client, db, token):
    code = poster_code(db)
    form = {"content-type": "application/x-www-form-urlencoded"}
    body = b"csrf_token=" + token.encode() + b"&code=\xff\xfe\xc3\x28&lang=\xed\xa0\x80"
    for path in ("/follow", "/office/login", f"/q/{staff_poster(db, None)}/handin"):
        assert_clear_refusal(client.post(path, content=body, headers=form, follow_redirects=False), 400)
    # The language switch ignores a language it does not know and goes home.
    assert_clear_refusal(client.post("/lang", content=body, headers=form, follow_redirects=False), 303)
    boundary = "b0undary"
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"what\"\r\n\r\n").encode()
    parts += b"\xff\xfe\xfd broken \xed\xa0\x80\r\n" + f"--{boundary}--\r\n".encode()
    multipart = {"content-type": f"multipart/form-data; boundary={boundary}"}
    for path in (f"/report/{code}", "/follow/reply"):
        assert_clear_refusal(client.post(path, content=parts, headers=multipart, follow_redirects=False), 400)


def test_percent_encoded_lone_surrogates_in_path_query_and_body(client, db, token):
    surrogate = "%ED%A0%80"  # U+D800 as UTF-8 bytes: no valid text decodes to it
    for path in (f"/q/{surrogate}", f"/q/{surrogate}/report", f"/verify/{surrogate}?sig={surrogate}",
                 f"/follow?x={surrogate}", f"/{surrogate}"):
        assert_clear_refusal(client.get(path), 200, 303, 400, 404)
    form = {"content-type": "application/x-www-form-urlencoded"}
    body = f"csrf_token={token}&code={surrogate}&next=/{surrogate}".encode()
    assert_clear_refusal(client.post("/follow", content=body, headers=form), 400)
    response = client.post("/lang", content=body, headers=form, follow_redirects=False)
    assert_clear_refusal(response, 303)
    assert response.headers["location"].startswith("/")


def test_a_nul_anywhere_is_refused_before_it_reaches_the_database(client, db, token):
    # Found by the fuzz run on PostgreSQL, which refuses NUL in text: it was a 500 there.
    for path in ("/q/%00", "/q/ab%00cd/report", "/verify/x%00?sig=a", "/follow?x=%00", "/office/submissions/%00"):
        assert_clear_refusal(client.get(path, follow_redirects=False), 400)
    form = {"content-type": "application/x-www-form-urlencoded"}
    body = f"csrf_token={token}&username=head%00&password=x&totp=1".encode()
    assert_clear_refusal(client.post("/office/login", content=body, headers=form), 400)


def test_bodies_over_the_limit_with_and_without_a_length(client, db, token):
    too_big = b"x" * (SMALL_BODY + 1)
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert_clear_refusal(client.post("/follow", content=too_big, headers=form), 413)

    def chunks():  # a chunked body: no Content-Length, the limit must still hold
        for _ in range(SMALL_BODY // 4096 + 2):
            yield b"x" * 4096

    response = client.post("/follow", content=chunks(), headers=form)
    assert "content-length" not in response.request.headers
    assert_clear_refusal(response, 413)
    assert_clear_refusal(client.post("/follow", content=b"", headers={**form, "content-length": "-1"}), 413)
    assert_clear_refusal(client.post("/follow", content=b"", headers={**form, "content-length": "12abc"}), 413)


def test_a_small_chunked_body_without_a_length_is_read_normally(client, db, token):
    def chunks():
        yield f"csrf_token={token}&".encode()
        yield b"code=1234 5678 9012 3456 7890"

    response = client.post("/follow", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert_clear_refusal(response, 400)
    assert "查询码不正确" in response.text


def test_ten_thousand_fields(client, db, token):
    code = poster_code(db)
    many = "&".join(f"f{i}=v" for i in range(10_000))
    form = {"content-type": "application/x-www-form-urlencoded"}
    for path in ("/follow", "/lang", "/office/login", f"/q/{code}/handin"):
        assert_clear_refusal(client.post(path, content=f"csrf_token={token}&{many}".encode(), headers=form), 400)
    boundary = "b0undary"
    part = "--{b}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n"
    parts = "".join(part.format(b=boundary, i=i) for i in range(10_000))
    multipart = {"content-type": f"multipart/form-data; boundary={boundary}"}
    body = (parts + f"--{boundary}--\r\n").encode()
    assert_clear_refusal(client.post(f"/report/{code}", content=body, headers=multipart), 400)


def test_broken_multipart_and_odd_headers(client, db, token):
    code = poster_code(db)
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=x",
                         "application/json", "text/plain", "multipart/form-data; boundary=\"" + "a" * 5000 + "\""):
        response = client.post(f"/report/{code}", content=b"--x\r\nbroken", headers={"content-type": content_type})
        assert_clear_refusal(response, 400, 403, 413)
    assert_clear_refusal(client.get("/", headers={"cookie": "hip_csrf=\x7f\"; ;;=;" + "a" * 4000}), 200)
    assert_clear_refusal(client.get("/", headers={"accept-language": ("\u00ff" * 300).encode("latin-1")}), 200)


FUZZ_CASES: list[int] = []


@pytest.mark.parametrize(("method", "path"), public_routes())
def test_fuzz_every_public_route(client, db, deployment, method, path):
    code = poster_code(db)
    token = csrf_of(client.get("/follow").text)
    text = st.text(st.characters(codec="utf-8"), max_size=300)

    @settings(max_examples=FUZZ_EXAMPLES_PER_ROUTE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(param=st.one_of(st.just(code), text), query=st.dictionaries(text, text, max_size=4),
           fields=st.dictionaries(st.sampled_from(["code", "what", "category", "who", "lang", "next", "username",
                                                   "password", "totp", "text", "department", "staff_name",
                                                   "received_on", "amount", "form", "escalate"]) | text,
                                  text, max_size=8),
           with_token=st.booleans(), multipart=st.booleans())
    def one(param: str, query: dict[str, str], fields: dict[str, str], with_token: bool, multipart: bool) -> None:
        url = fill(path, quote(param, safe="") or "x")
        if method == "GET":
            response = client.get(url, params=query, follow_redirects=False)
        else:
            data = {**fields, **({"csrf_token": token} if with_token else {})}
            files = [("files", ("", b"", "application/octet-stream"))] if multipart else None
            response = client.post(url, params=query, data=data, files=files, follow_redirects=False)
        FUZZ_CASES.append(1)
        assert response.status_code < 500, (method, url, response.status_code)
        assert "Traceback" not in response.text

    before = len(FUZZ_CASES)
    one()
    assert len(FUZZ_CASES) - before >= FUZZ_EXAMPLES_PER_ROUTE  # the case count SECURITY.md quotes
