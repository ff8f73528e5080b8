"""The review queue and the due list in a real browser: every row reachable by page links,
select-all for bulk approval, and an advisor column and filter on both."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import needs_chromium
from tests.factories import nth_instant, visit_row

pytestmark = needs_chromium


@pytest.fixture
def advisors(world, session):
    """Two advisors of street A with names a reader can tell apart."""
    second = world.user("advisor", world.street_a)
    world.adv_a.display_name, second.display_name = "王秀兰", "李建国"
    session.commit()
    return world.adv_a, second


def test_the_review_queue_pages_selects_all_and_names_the_advisor(
    live_server, world, session, console_page, advisors
):
    wang, li = advisors
    home = world.household("A1", advisor=wang)
    session.add_all(
        visit_row(home, nth_instant(n), status="submitted", advisor_id=wang.id if n else li.id)
        for n in range(55)
    )
    session.commit()

    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/review")
    rows = page.locator("table tbody tr")
    assert rows.count() == 50
    assert "李建国" in rows.nth(0).inner_text() and "王秀兰" in rows.nth(1).inner_text()
    page.click("text=下一页")
    assert page.locator("table tbody tr").count() == 5
    assert "第2页，共2页" in page.content()

    page.select_option("select[name=advisor]", str(li.id))
    page.click("form[aria-label='筛选'] button[type=submit]")
    assert page.locator("table tbody tr").count() == 1

    page.goto(f"{live_server}/console/review")
    page.check("#select-all")
    boxes = page.locator("input[name=record]")
    assert boxes.count() == 50
    assert all(boxes.nth(i).is_checked() for i in range(50))
    page.click("#approve-selected")
    page.wait_for_url(f"{live_server}/console/review")
    assert "已审核 50 条记录" in page.content()
    assert page.locator("table tbody tr").count() == 5


def test_the_due_list_pages_and_filters_by_advisor(
    live_server, world, session, console_page, advisors
):
    wang, li = advisors
    for n in range(55):
        world.household("A1", advisor=li if n < 3 else wang)
    session.commit()

    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/due")
    assert page.locator("table tbody tr").count() == 50
    assert "王秀兰" in page.locator("table tbody").inner_text()
    page.click("text=下一页")
    assert page.locator("table tbody tr").count() == 5

    page.goto(f"{live_server}/console/due")
    page.select_option("select[name=advisor]", str(li.id))
    page.click("form[aria-label='筛选'] button[type=submit]")
    body = page.locator("table tbody")
    assert body.locator("tr").count() == 3
    assert body.inner_text().count("李建国") == 3 and "王秀兰" not in body.inner_text()
