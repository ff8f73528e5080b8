"""The administration pages and actions: admins only (supervisors 403, no session to the
sign-in page, an advisor never gets a session); a refused request changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Device
from tests.server.console.test_permissions import ADMIN_ONLY


@pytest.fixture
def targets(world, token_of):
    """Ids the parameterised routes need: an advisor's account, its tablet, an area."""
    token_of(world.adv_a, "lost-tablet")
    device = world.session.scalars(select(Device)).one()
    return {"user": world.adv_a.id, "device": device.id, "area": world.community["A1"].id}


def _routes(t: dict) -> list[tuple[str, str, dict]]:
    """(method, path, form) for every parameterised admin route, and every admin POST."""
    user, device, area = t["user"], t["device"], t["area"]
    return [
        ("GET", f"/console/admin/users/{user}", {}),
        ("GET", f"/console/admin/areas/{area}", {}),
        ("POST", "/console/admin/users/new", {"username": "x1", "display_name": "x"}),
        (
            "POST",
            f"/console/admin/users/{user}/details",
            {"display_name": "改名", "role": "advisor"},
        ),
        ("POST", f"/console/admin/users/{user}/password", {"password": "new password 1"}),
        ("POST", f"/console/admin/users/{user}/active", {"active": "0"}),
        ("POST", f"/console/admin/devices/{device}/revoke", {"kind": "lost"}),
        ("POST", "/console/admin/devices/lease", {"lease_hours": "24"}),
        ("POST", f"/console/admin/areas/{area}", {"code": "A1X", "name": "新名"}),
        ("POST", "/console/admin/areas", {"kind": "community", "code": "NEW", "name": "新社区"}),
        ("POST", "/console/admin/policy", {"high": "monthly"}),
    ]


@pytest.mark.parametrize("who", ["sup_a", "sup_b", "sup_district"])
def test_supervisors_get_403_and_change_nothing(world, targets, console, session, who):
    c = console.as_user(getattr(world, who))
    before = session.scalar(select(func.count(AuditEvent.id)))
    for path in ADMIN_ONLY:
        assert c.get(path).status_code == 403, path
    for method, path, form in _routes(targets):
        response = c.get(path) if method == "GET" else c.post(path, form)
        assert response.status_code == 403, (method, path)
    # Only the sign-in itself was recorded.
    assert session.scalar(select(func.count(AuditEvent.id))) == before


def test_without_a_session_every_admin_route_goes_to_sign_in(targets, console):
    for method, path, form in [("GET", p, {}) for p in ADMIN_ONLY] + _routes(targets):
        response = console.get(path) if method == "GET" else console.post(path, form)
        assert response.status_code in (302, 400), (method, path)
        if response.status_code == 302:
            assert "/console/sign-in" in response.headers["Location"], path


def test_without_the_csrf_token_an_admin_post_is_refused(world, targets, console):
    c = console.as_user(world.admin)
    for method, path, form in _routes(targets):
        if method == "POST":
            assert c.post(path, form, csrf=False).status_code == 400, path


def test_an_admin_opens_every_admin_route(world, targets, console):
    c = console.as_user(world.admin)
    for path in ADMIN_ONLY:
        assert c.get(path).status_code == 200, path
    for method, path, _form in _routes(targets):
        if method == "GET":
            assert c.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/console/admin/users/999999", "/console/admin/areas/999999"])
def test_unknown_ids_are_404(world, console, path):
    assert console.as_user(world.admin).get(path).status_code == 404
