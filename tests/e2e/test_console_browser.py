"""The console in a real browser: headless Chromium (Playwright) against a real server.

A supervisor signs in, approves one synced visit and returns another with a comment; the
advisor's tablet (a real store over HTTP) then receives both decisions.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import needs_chromium
from tests.factories import nth_instant, visit_form

pytestmark = needs_chromium


@pytest.fixture
def tablet(http_tablet, world, session):
    """Advisor A's tablet with two visits synced to the server."""
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    client = http_tablet(world.adv_a)
    client.pull()
    ids = [client.store.save_visit(visit_form(home, when=nth_instant(n)))["id"] for n in (1, 2)]
    client.sync()
    return client, ids


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
