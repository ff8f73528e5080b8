"""The console in a real browser: headless Chromium (Playwright) against a real server.

A supervisor signs in, approves one synced visit and returns another with a comment; the
advisor's tablet (a real store over HTTP) then receives both decisions.
"""

from __future__ import annotations

import os

import pytest
import requests

from server.console.screenshots import CHROMIUM, CHROMIUM_ARGS
from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport
from tests.factories import PASSWORD, nth_instant, visit_form

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"needs {CHROMIUM} (Debian's chromium; .ci/run installs it)",
)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tablet(live_server, world, session, tmp_path):
    """Advisor A's tablet with two visits synced to the server."""
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    store = SQLiteStore(tmp_path / "tablet.sqlite3")
    transport = HttpTransport(live_server, requests.Session(), timeout=(2, 10), retries=1)
    client = SyncClient(store, transport)
    client.login(world.adv_a.username, PASSWORD)
    client.pull()
    ids = [store.save_visit(visit_form(home, when=nth_instant(n)))["id"] for n in (1, 2)]
    client.sync()
    yield client, ids
    store.close()
    transport.close()


def test_a_supervisor_approves_and_returns_and_the_tablet_sees_both(
    app, live_server, world, tablet, browser
):
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on 127.0.0.1
    client, (approved, returned) = tablet
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/console/sign-in")
    page.fill("input[name=username]", world.sup_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/console/sign-in'] button[type=submit]")
    page.wait_for_url(f"{live_server}/console/")
    assert "工作台" in page.content()

    page.goto(f"{live_server}/console/review/visit/{approved}")
    page.click("#approve")
    page.wait_for_load_state()
    page.goto(f"{live_server}/console/review/visit/{returned}")
    page.fill("textarea[name=comment], input[name=comment]", "请补充收入情况")
    page.click("#return")
    page.wait_for_load_state()
    queue = page.goto(f"{live_server}/console/review")
    assert queue.ok
    assert str(approved) not in page.content() and str(returned) not in page.content()

    client.pull()
    first = client.store.record("visit", approved)
    second = client.store.record("visit", returned)
    assert first["status"] == "approved"
    assert (second["status"], second["review_comment"]) == ("returned", "请补充收入情况")
