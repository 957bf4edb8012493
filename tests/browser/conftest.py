"""Browser fixtures: the portal served by a real uvicorn on a free loopback port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The test's app (same database) behind a real HTTP server; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning",
                            server_header=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (Playwright cannot download one here)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


def _context(browser, *, viewport, mobile: bool, javascript: bool = True):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="zh-CN",
                                  device_scale_factor=2 if mobile else 1, java_script_enabled=javascript)
    # Generous: CI shares two cores with a PostgreSQL server and sometimes other suites.
    context.set_default_timeout(90_000)
    return context


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    """A phone-sized page (390×844, touch), JavaScript on."""
    context = _context(browser, viewport=PHONE, mobile=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_js(browser):  # type: ignore[no-untyped-def]
    """A phone-sized page with JavaScript off: every public form must still work."""
    context = _context(browser, viewport=PHONE, mobile=True, javascript=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):  # type: ignore[no-untyped-def]
    """An office desktop page (1440×900)."""
    context = _context(browser, viewport=DESKTOP, mobile=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot(request):  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under test-artifacts/screenshots/ to be looked at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
