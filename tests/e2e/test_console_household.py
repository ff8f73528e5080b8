"""The household file in a real browser: headless Chromium (Playwright) against a real
server. A supervisor changes the hardship level and sees it on the page; the advisor's
tablet (a real store over HTTP) receives it on its next pull. An override without a
reason is refused beside its field."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import needs_chromium

pytestmark = needs_chromium


@pytest.fixture
def home(world, session):
    household = world.household("A1", advisor=world.adv_a)
    session.commit()
    return household


@pytest.fixture
def tablet(http_tablet, world, home):
    """Advisor A's tablet, with the household pulled."""
    client = http_tablet(world.adv_a)
    client.pull()
    return client


def test_a_supervisor_changes_the_level_and_the_tablet_receives_it(
    live_server, world, home, tablet, console_page
):
    assert tablet.store.record("household", str(home.id))["hardship_level"] == "medium"
    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/households/{home.id}")
    page.select_option("#level-form select[name=level-hardship_level]", "high")
    page.click("#level-form button[type=submit]")
    page.wait_for_url(f"{live_server}/console/households/{home.id}")
    assert page.locator(".alert-success").inner_text() == "困难程度已修改。"
    facts = page.locator("dl").inner_text()
    assert "重点" in facts and "每月" in facts
    assert "困难程度：一般 → 重点" in page.locator("table").last.inner_text()

    tablet.pull()
    record = tablet.store.record("household", str(home.id))
    assert (record["hardship_level"], record["visit_cycle"]) == ("high", "monthly")


def test_an_override_without_a_reason_is_refused_beside_the_field(
    live_server, world, home, console_page
):
    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/households/{home.id}")
    page.select_option("#override-form select[name=override-cycle]", "monthly")
    page.fill("#override-form input[name=override-expires_on]", "2099-06-30")
    page.click("#override-form button[type=submit]")
    page.wait_for_load_state()
    reason = page.locator("#override-form textarea[name=override-reason]")
    assert "is-invalid" in (reason.get_attribute("class") or "")
    feedback = page.locator("#override-form .invalid-feedback").inner_text()
    assert feedback.strip() == "须为 2 至 200 个字。"
    assert "调整探访周期" in page.locator("dl").inner_text()
    assert page.locator("#current-override").inner_text() == "无"
