"""预警处置 in a real browser: a 人户分离 move pushed from a tablet reaches street B's
supervisor, who filters for it, takes it, is told what a disposal lacks, disposes and closes."""

from __future__ import annotations

import uuid

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import needs_chromium
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet

pytestmark = needs_chromium


def test_a_supervisor_works_a_warning_through(live_server, world, session, client, console_page):
    split = world.household("A1", residence="B1", advisor=world.adv_a)
    tablet = Tablet(client, world.adv_a)
    data = visit_data(split, outcome="moved", findings=["job_loss"])
    tablet.push([tablet.mutation("visit", uuid.uuid4(), data)])
    session.commit()

    page = console_page(world.sup_b)
    page.click("nav >> text=预警处置")
    assert page.locator("#warning-list tbody tr").count() == 1  # the job loss went to A
    page.select_option("select[name=level]", "orange")
    page.click("#warning-filters button[type=submit]")
    page.click("#warning-list >> text=户籍地与居住地信息不符")
    assert "甲街道、乙街道" in page.locator("#warning-streets").inner_text()
    assert_accessible(page)

    page.click("#take-warning button")
    assert page.locator("#warning-status").inner_text() == "核实中"
    page.select_option("select[name=disposal]", "no_action")
    page.click("#dispose-warning button[type=submit]")
    assert "请填写无需处置的原因" in page.locator("#dispose-warning").inner_text()
    page.fill("textarea[name=disposal_reason]", "已核实，户籍地已办理迁移")
    page.click("#dispose-warning button[type=submit]")
    assert page.locator("#warning-status").inner_text() == "已处置"
    page.click("#close-warning button")
    assert page.locator("#warning-status").inner_text() == "已办结"
    assert "无需处置" in page.locator("#warning-disposal").inner_text()
