"""Sessions and error pages in a real browser: a cookie copied before sign-out (or before
the admin deactivates and reactivates the account) opens nothing in another browser; an
unknown console page is a Chinese page."""

from __future__ import annotations

from tests.e2e.conftest import needs_chromium

pytestmark = needs_chromium


def _replay(browser, live_server: str, cookies: list) -> str:
    """Where another browser holding only the copied cookies lands on the review queue."""
    thief = browser.new_context(locale="zh-CN")
    thief.add_cookies(cookies)
    page = thief.new_page()
    page.goto(f"{live_server}/console/review")
    url = page.url
    thief.close()
    return url


def test_a_cookie_copied_before_sign_out_opens_nothing(live_server, world, browser, console_page):
    page = console_page(world.sup_a)
    cookies = page.context.cookies()
    assert _replay(browser, live_server, cookies) == f"{live_server}/console/review"
    page.click("form[action$='/console/sign-out'] button")
    page.wait_for_url(f"{live_server}/console/sign-in")
    assert _replay(browser, live_server, cookies).startswith(f"{live_server}/console/sign-in")


def test_reactivating_an_account_revives_no_old_cookie(live_server, world, browser, console_page):
    supervisor = console_page(world.sup_a)
    cookies = supervisor.context.cookies()
    admin = console_page(world.admin)
    for button in ("停用", "重新启用"):
        admin.goto(f"{live_server}/console/admin/users/{world.sup_a.id}")
        admin.locator("form[action$='/active'] button", has_text=button).click()
        admin.wait_for_load_state()
    assert _replay(browser, live_server, cookies).startswith(f"{live_server}/console/sign-in")
    supervisor.goto(f"{live_server}/console/review")
    assert supervisor.url.startswith(f"{live_server}/console/sign-in")


def test_an_unknown_console_page_is_a_chinese_page(live_server, world, console_page):
    page = console_page(world.sup_a)
    answer = page.goto(f"{live_server}/console/admin/users/99999999999999999999")
    assert answer.status == 404
    assert "页面不存在，或不在您的管辖范围内。" in page.content()
