"""Odd values in the console's query strings answer a page (or 404), never a 500."""

from __future__ import annotations

import pytest

ODD = ["²", "1" * 30, "-1", "x"]
SUPERVISOR_PAGES = [
    "/console/review?page={v}&community={v}&advisor={v}",
    "/console/due?page={v}&community={v}",
    "/console/leads?page={v}",
    "/console/warnings?page={v}&level={v}&kind={v}&status={v}&overdue={v}",
    "/console/caseloads/preview?kind=advisor&source={v}&to_advisor={v}",
    "/console/caseloads/preview?kind=community&source={v}&to_advisor=1",
]
ADMIN_PAGES = [
    "/console/admin/users?page={v}&area={v}",
    "/console/admin/devices?page={v}",
    "/console/admin/audit?page={v}&actor={v}",
    "/console/admin/areas?parent={v}",
]


@pytest.mark.parametrize("value", ODD)
def test_supervisor_pages(world, console, value):
    c = console.as_user(world.sup_a)
    for path in SUPERVISOR_PAGES:
        status = c.get(path.format(v=value)).status_code
        assert status in (200, 302, 400, 404, 422), (path, value, status)


@pytest.mark.parametrize("value", ODD)
def test_admin_pages(world, console, value):
    c = console.as_user(world.admin)
    for path in ADMIN_PAGES:
        status = c.get(path.format(v=value)).status_code
        assert status in (200, 302, 400, 404, 422), (path, value, status)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_audit_date_beyond_the_log_is_a_field_message(world, console, day):
    c = console.as_user(world.admin)
    response = c.get(f"/console/admin/audit?since={day}&until={day}")
    assert response.status_code in (200, 422)
    assert "须在 2000 年至 2099 年之间" in response.get_data(as_text=True)
