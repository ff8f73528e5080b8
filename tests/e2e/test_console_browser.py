"""The console in a real browser: headless Chromium (Playwright) against a real server.

A supervisor signs in, approves one synced visit and returns another with a comment; the
advisor's tablet (a real store over HTTP) then receives both decisions.
"""

from __future__ import annotations

import pytest
import requests

from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport
from tests.e2e.conftest import needs_chromium
from tests.factories import PASSWORD, nth_instant, visit_form

pytestmark = needs_chromium


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
    live_server, world, tablet, console_page
):
    client, (approved, returned) = tablet
    page = console_page(world.sup_a)
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
