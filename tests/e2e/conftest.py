"""tests/e2e: the server fixtures, with every ``world`` a live one.

These tests drive a real tablet store against the app in-process and over real HTTP
(``live_server``), so the world's committed rows must stay loaded (``live_world``).
"""

import os

import pytest
import requests

from server.console.screenshots import CHROMIUM, CHROMIUM_ARGS
from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport, InProcessTransport
from tests.factories import PASSWORD
from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here


@pytest.fixture
def world(live_world):
    return live_world


@pytest.fixture(params=["in-process", "http"])
def make_client(request, app, tmp_path):
    """Build tablets (store + client) talking to the app in-process or over real HTTP."""
    base = request.getfixturevalue("live_server") if request.param == "http" else None
    opened = []

    def make(user, name: str = "tablet", login: bool = True) -> SyncClient:
        store = SQLiteStore(tmp_path / f"{name}.sqlite3")
        if base:
            session = requests.Session()
            transport = HttpTransport(
                base, session, timeout=(2, 10), retries=2, sleep=lambda s: None
            )
        else:
            transport = InProcessTransport(app.test_client())
        client = SyncClient(store, transport, batch=7, pull_limit=5)
        if login:
            client.login(user.username, PASSWORD)
        opened.append((store, transport))
        return client

    yield make
    for store, transport in opened:
        store.close()
        transport.close()


needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"needs {CHROMIUM} (Debian's chromium; .ci/run installs it)",
)


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_page(app, live_server, browser):
    """``console_page(user)``: a new browser page signed in to the console as ``user``
    through the sign-in form (in 简体中文), on the dashboard."""
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on 127.0.0.1

    def open_as(user, password: str = PASSWORD):
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{live_server}/console/sign-in")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("form[action$='/console/sign-in'] button[type=submit]")
        page.wait_for_url(f"{live_server}/console/")
        return page

    return open_as


@pytest.fixture
def http_tablet(live_server, tmp_path):
    """``http_tablet(user, name="tablet")``: a real tablet store signed in as ``user`` to
    the live server over HTTP (closed at the end of the test)."""
    opened = []

    def make(user, name: str = "tablet") -> SyncClient:
        store = SQLiteStore(tmp_path / f"{name}.sqlite3")
        transport = HttpTransport(live_server, requests.Session(), timeout=(2, 10), retries=1)
        client = SyncClient(store, transport)
        client.login(user.username, PASSWORD)
        opened.append((store, transport))
        return client

    yield make
    for store, transport in opened:
        store.close()
        transport.close()
