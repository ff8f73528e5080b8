"""The review queue in a real browser: bulk approval, and a corrected record's earlier version.

Headless Chromium (Playwright) against a real server; the advisor's tablet is a real store
talking to it over HTTP.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import needs_chromium
from tests.factories import nth_instant, visit_form

pytestmark = needs_chromium


@pytest.fixture
def tablet(http_tablet, world, session):
    """Advisor A's tablet, signed in and holding its caseload: one household."""
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    client = http_tablet(world.adv_a)
    client.pull()
    return client, home


def test_a_supervisor_bulk_approves_plain_visits_and_the_tablet_sees_them(
    live_server, tablet, world, console_page
):
    client, home = tablet
    plain = [client.store.save_visit(visit_form(home, when=nth_instant(n)))["id"] for n in (1, 2)]
    urgent = client.store.save_visit(visit_form(home, when=nth_instant(3), urgent=True))["id"]
    client.sync()

    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/review")
    assert page.locator(f"input[name=record][value='visit:{urgent}']").count() == 0
    assert str(urgent) in page.content()  # listed, but only to be opened on its own
    for rid in plain:
        page.check(f"input[name=record][value='visit:{rid}']")
    page.click("#approve-selected")
    page.wait_for_url(f"{live_server}/console/review")
    assert "已审核 2 条记录" in page.content()
    assert all(str(rid) not in page.content() for rid in plain)

    client.pull()
    assert [client.store.record("visit", rid)["status"] for rid in plain] == ["approved"] * 2
    assert client.store.record("visit", urgent)["status"] == "submitted"


def test_a_corrected_visit_shows_what_changed_and_the_return_comment(
    live_server, tablet, world, console_page
):
    client, home = tablet
    saved = client.store.save_visit(visit_form(home, income_change="same"))
    client.sync()
    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/review/visit/{saved['id']}")
    page.fill("input[name=comment], textarea[name=comment]", "收入情况与低保台账不符")
    page.click("#return")
    page.wait_for_url(f"{live_server}/console/review")

    client.pull()
    returned = client.store.record("visit", saved["id"])
    assert returned["status"] == "returned"
    client.store.save_visit({**returned, "income_change": "down", "notes": "已与社区核对"})
    client.sync()

    page.goto(f"{live_server}/console/review/visit/{saved['id']}")
    changes = page.locator("#resubmission-changes tbody tr")
    assert changes.count() == 2
    rows = {changes.nth(i).locator("th").inner_text(): changes.nth(i) for i in range(2)}
    income = rows["收入变化"].locator("td")
    assert (income.nth(0).inner_text(), income.nth(1).inner_text()) == ("无变化", "减少")
    notes = rows["备注"].locator("td")
    assert notes.nth(1).inner_text() == "已与社区核对"
    thread = page.locator("#review-thread").inner_text()
    assert "收入情况与低保台账不符" in thread and "已更正并重新提交" in thread
    assert thread.index("已退回") < thread.index("已更正并重新提交")
