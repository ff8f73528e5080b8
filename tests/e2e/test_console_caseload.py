"""Handing over an advisor's whole caseload in a real browser (headless Chromium against a
real server): the preview shows the households and the old tablet's unsent visit, the
confirm moves them; the new advisor's tablet pulls them and the old tablet's visit is still
accepted (nothing recorded is lost); the handover view then shows the old tablet cleared.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.models import Visit
from tests.e2e.conftest import needs_chromium
from tests.factories import visit_form

pytestmark = needs_chromium


def test_handing_over_a_whole_caseload_loses_nothing(
    live_server, world, session, http_tablet, console_page
):
    homes = [world.household("A1", advisor=world.adv_a), world.household("A2", advisor=world.adv_a)]
    successor = world.user("advisor", world.street_a)
    session.commit()
    old = http_tablet(world.adv_a, "old")
    old.sync()
    visit = old.store.save_visit(visit_form(homes[0]))  # made in the field, not yet sent
    old.pull()  # the tablet tells the server what its outbox holds

    page = console_page(world.sup_a)
    page.goto(f"{live_server}/console/caseloads")
    page.check("#kind-advisor")
    page.select_option("select[name=advisor]", str(world.adv_a.id))
    page.select_option("select[name=to_advisor]", str(successor.id))
    page.click("#preview")
    page.wait_for_selector("#moving")
    assert page.inner_text("#moving") == "2"
    assert page.inner_text("#unsent") == "1"
    assert "仍会被接收" in page.inner_text("#unsent-note")
    page.click("#confirm button[type=submit]")
    page.wait_for_url(f"{live_server}/console/caseloads/handovers")
    assert "仍有未上传记录" in page.inner_text(".tablet-state")

    new = http_tablet(successor, "new")
    new.pull()
    assert {h["id"] for h in new.store.households()} == {str(h.id) for h in homes}

    report = old.sync()  # the unsent visit goes out; then the households leave this tablet
    assert report.pushed == {"applied": 1}
    session.expire_all()
    stored = session.scalar(select(Visit).where(Visit.id == uuid.UUID(visit["id"])))
    assert (stored.advisor_id, stored.flag) == (world.adv_a.id, "left_caseload")
    session.commit()  # end the read: an SQLite transaction would block the server's writes
    assert old.store.households() == []

    page.reload()
    assert "已全部上传" in page.inner_text(".tablet-state")
