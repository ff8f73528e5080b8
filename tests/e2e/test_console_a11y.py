"""Accessibility of the main console pages: axe-core in headless Chromium, no serious or
critical violations (issue 10), in Chinese and in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.models import Warning
from tests.e2e.a11y import assert_accessible, describe, violations
from tests.e2e.conftest import needs_chromium
from tests.factories import visit_row

pytestmark = needs_chromium


@pytest.fixture
def record(world, session):
    """A household of A1 with an approved visit, a submitted one after it and a warning:
    every section of the review record and the household file has something to show."""
    home = world.household("A1", advisor=world.adv_a)
    now = datetime.now(UTC)
    session.add(visit_row(home, now - timedelta(days=40), advisor_id=world.adv_a.id))
    visit = visit_row(home, now - timedelta(days=2), advisor_id=world.adv_a.id, status="submitted")
    session.add(visit)
    session.add(
        Warning(
            household_id=home.id,
            source="manual",
            kind="income_drop",
            level="orange",
            message="收入明显下降",
            street_id=home.residence_street_id,
        )
    )
    session.commit()
    return home, visit


def test_the_sign_in_page_is_accessible(live_server, browser):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server}/console/sign-in")
    assert_accessible(page)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_main_pages_are_accessible(live_server, world, record, console_page, language):
    home, visit = record
    page = console_page(world.sup_a)
    if language == "en":
        page.click("form[action$='/console/language'] button[type=submit]")
        page.wait_for_load_state()
    report = {}
    for path in (
        "/console/",
        "/console/review",
        f"/console/review/visit/{visit.id}",
        f"/console/households/{home.id}",
        "/console/due",
        "/console/warnings",
    ):
        assert page.goto(f"{live_server}{path}").ok, path
        # Every page is checked before failing, so one run lists all that is wrong.
        found = violations(page)
        if found:
            report[path] = describe(found)
    assert not report, "\n".join(f"{path}:\n{text}" for path, text in report.items())


def _check_all(page, base: str, paths) -> None:
    report = {}
    for path in paths:
        assert page.goto(f"{base}{path}").ok, path
        found = violations(page)
        if found:
            report[path] = describe(found)
    assert not report, "\n".join(f"{path}:\n{text}" for path, text in report.items())


def test_the_supervisors_other_pages_are_accessible(live_server, world, record, console_page):
    home, _visit = record
    page = console_page(world.sup_a)
    _check_all(
        page,
        live_server,
        (
            "/console/caseloads",
            "/console/caseloads/handovers",
            "/console/leads",
            "/console/roster",
            f"/console/households/{home.id}/print",
            "/console/password",
        ),
    )


def test_the_admin_pages_are_accessible(live_server, world, record, console_page):
    page = console_page(world.admin)
    _check_all(
        page,
        live_server,
        (
            "/console/admin/users",
            "/console/admin/users/new",
            f"/console/admin/users/{world.adv_a.id}",
            "/console/admin/devices",
            "/console/admin/areas",
            "/console/admin/policy",
            "/console/admin/audit",
        ),
    )
