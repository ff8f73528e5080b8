"""Administration in a real browser: an admin reports a tablet lost on the devices page,
and that tablet's token (issued by the API's sign-in) answers 401 from then on, telling
the tablet to wipe itself."""

from __future__ import annotations

import requests

from tests.e2e.conftest import needs_chromium
from tests.factories import bearer, login_body

pytestmark = needs_chromium


def test_an_admin_revokes_a_lost_tablet_and_its_token_answers_401(live_server, world, console_page):
    http = requests.Session()
    lost = http.post(
        f"{live_server}/api/v1/auth/token",
        json=login_body(world.adv_a.username, device_id="lost-tablet"),
    )
    kept = http.post(
        f"{live_server}/api/v1/auth/token",
        json=login_body(world.adv_b.username, device_id="kept-tablet"),
    )
    assert lost.status_code == kept.status_code == 201
    lost_headers, kept_headers = bearer(lost.json()["token"]), bearer(kept.json()["token"])
    assert http.get(f"{live_server}/api/v1/sync/pull", headers=lost_headers).status_code == 200

    page = console_page(world.admin)
    page.goto(f"{live_server}/console/admin/devices")
    row = page.locator("tr", has_text="lost-tablet")
    assert row.count() == 1
    row.locator("button", has_text="报失").click()
    page.wait_for_load_state()
    assert "平板已报失" in page.content()
    assert page.locator("tr", has_text="lost-tablet").count() == 0  # no longer in use

    answer = http.get(f"{live_server}/api/v1/sync/pull", headers=lost_headers)
    assert answer.status_code == 401 and answer.json()["wipe"] is True
    assert http.get(f"{live_server}/api/v1/sync/pull", headers=kept_headers).status_code == 200
    page.goto(f"{live_server}/console/admin/devices?state=revoked")
    assert page.locator("tr", has_text="lost-tablet").count() == 1
