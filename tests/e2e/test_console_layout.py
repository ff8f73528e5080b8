"""The navigation bar at the street office's screen widths: no label wraps inside itself
(工作/台); below 1200 px the bar folds behind a menu button."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import needs_chromium

pytestmark = needs_chromium


def _wrapped(page) -> list[str]:
    """The bar's labels that take more than one line (a label's box taller than a line)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'nav .nav-link, nav .navbar-text, nav button, nav .navbar-brand')]
            .filter(e => e.offsetParent !== null)
            .filter(e => e.getClientRects().length > 1
              || e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).lineHeight))
            .map(e => e.innerText)"""
    )


@pytest.mark.parametrize("width", [1024, 1366])
def test_no_navigation_label_wraps(live_server, world, console_page, width):
    page = console_page(world.admin)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/console/review")
    toggler = page.locator("nav .navbar-toggler")
    if width < 1200:
        assert toggler.is_visible() and not page.locator("text=待审核").first.is_visible()
        toggler.click()
        page.locator("#main-nav.show").wait_for()
        page.wait_for_function("!document.querySelector('#main-nav.collapsing')")
    else:
        assert not toggler.is_visible()
    links = page.locator("nav .nav-link")
    assert links.first.is_visible()
    assert _wrapped(page) == []
    heights = {round(links.nth(i).bounding_box()["height"]) for i in range(links.count())}
    assert max(heights) < 48, heights
