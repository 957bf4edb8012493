"""Every response carries the strict headers: pages, static files, redirects and every error status."""

from __future__ import annotations

from starlette.routing import Route

from tests.helpers import PASSWORD, csrf_of

REQUIRED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
CSP_PARTS = ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
             "form-action 'self'", "base-uri 'none'")


def assert_strict(response, *, dynamic: bool = True) -> None:
    headers = response.headers
    for name, value in REQUIRED.items():
        assert headers.get(name) == value, (response.request.url, name)
    csp = headers["content-security-policy"]
    assert all(part in csp for part in CSP_PARTS)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert "permissions-policy" in headers and "camera=()" in headers["permissions-policy"]
    assert "server" not in headers
    assert "strict-transport-security" not in headers  # served over plain HTTP in tests
    if dynamic:
        assert headers["cache-control"] == "no-store"


def test_pages_redirects_and_static_files(client, deployment):
    assert_strict(client.get("/"))
    assert_strict(client.get("/office/", follow_redirects=False))
    static = client.get("/static/css/public.css")
    assert static.status_code == 200
    assert_strict(static, dynamic=False)


def test_error_statuses(client, app, deployment):
    def explode(request):
        raise RuntimeError("secret text 红包 must not reach the page")

    app.starlette.router.routes.append(Route("/__explode", explode))
    assert_strict(client.get("/no/such/page"))
    assert client.get("/no/such/page").status_code == 404
    method = client.delete("/")
    assert method.status_code == 405
    assert_strict(method)
    too_large = client.post("/lang", content=b"x" * (300 * 1024),
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert too_large.status_code == 413
    assert_strict(too_large)
    forbidden = client.post("/lang", headers={"sec-fetch-site": "cross-site"})
    assert forbidden.status_code == 403
    assert_strict(forbidden)
    server_error = client.get("/__explode")
    assert server_error.status_code == 500
    assert "红包" not in server_error.text
    assert_strict(server_error)


def test_a_throttled_login(client, deployment, settings):
    for _ in range(settings.login_failures_allowed + 1):
        token = csrf_of(client.get("/office/login").text)
        last = client.post("/office/login", data={"csrf_token": token, "username": "head",
                                                  "password": PASSWORD + "x", "totp": "000000"})
    assert last.status_code == 429
    assert_strict(last)


def test_hsts_when_served_over_tls(settings, db):
    from dataclasses import replace

    from starlette.testclient import TestClient

    from portal.app import create_app

    tls_app = create_app(replace(settings, https=True, public_url="https://jubao.example"), database=db,
                         run_migrations=False)
    with TestClient(tls_app, base_url="https://testserver") as tls:
        response = tls.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in response.headers["set-cookie"]
