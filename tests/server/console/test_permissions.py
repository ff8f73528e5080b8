"""Every console page × every role × inside and outside the scope (人户分离 included)."""

from __future__ import annotations

import pytest

from server.services.core.transaction import unit_of_work
from tests.factories import NOW, visit_row


@pytest.fixture
def places(world, session):
    """A 人户分离 household (registered in A, living in B) with a submitted visit, and a
    household of street A only."""
    split = world.household("A1", "B1", advisor=world.adv_a)
    only_a = world.household("A2", advisor=world.adv_a)
    with unit_of_work(session):
        visits = {
            "split": visit_row(split, NOW, status="submitted"),
            "only_a": visit_row(only_a, NOW, status="submitted"),
        }
        session.add_all(visits.values())
    return {"split": split, "only_a": only_a, "visits": visits}


def _pages(places, which: str) -> list[str]:
    household, visit = places[which], places["visits"][which]
    return [
        f"/console/households/{household.id}",
        f"/console/households/{household.id}/print",
        f"/console/households/{household.id}.pdf",
        f"/console/review/visit/{visit.id}",
    ]


# GET pages without parameters that every console role opens.
COMMON = [
    "/console/",
    "/console/review",
    "/console/due",
    "/console/due.csv",
    "/console/due.xlsx",
    "/console/password",
    "/console/caseloads",
    "/console/caseloads/handovers",
    "/console/leads",
    "/console/warnings",
    "/console/roster",
]

# GET pages without parameters for admins only (supervisors get 403).
ADMIN_ONLY: list[str] = [
    "/console/admin/users",
    "/console/admin/users/new",
    "/console/admin/devices",
    "/console/admin/areas",
    "/console/admin/areas/import",
    "/console/admin/policy",
    "/console/admin/audit",
    "/console/admin/audit.csv",
    "/console/admin/jobs",
]

CASELOAD_SCOPE = "test_caseloads.py::test_each_role_previews_and_opens_leads_in_its_scope"
LEAD_ACTIONS = "test_caseloads.py::test_another_streets_leads_are_404 (+ advisor: 403)"
WARNING_SCOPE = "test_warnings_page.py::test_other_streets_get_404 (+ warnings/test_lifecycle.py)"

# Every other console rule (as Flask spells it) -> the test that walks it for each role
# and scope. A new route must be added to one of these tables: test_every_route_is_covered.
SCOPED = {
    # An upload is its uploader's alone: anyone else gets 404 (test_roster.py).
    "/console/roster/<upload_id>": "test_roster.py::test_an_upload_is_its_uploaders_alone",
    "/console/roster/<upload_id>/report.<any(csv, xlsx):fmt>": (
        "test_roster.py::test_an_upload_is_its_uploaders_alone"
    ),
    "/console/households/<uuid:household_id>": "test_each_console_role_sees_its_scope",
    "/console/review/<any(visit, interview):entity>/<uuid:record_id>": (
        "test_each_console_role_sees_its_scope"
    ),
    "/console/households/<uuid:household_id>/print": "test_each_console_role_sees_its_scope",
    "/console/households/<uuid:household_id>.pdf": "test_each_console_role_sees_its_scope",
    "/console/caseloads/preview": CASELOAD_SCOPE,
    "/console/leads/<uuid:lead_id>": CASELOAD_SCOPE,
    "/console/warnings/<uuid:warning_id>": WARNING_SCOPE,
}
ACTIONS = {
    "/console/roster/<upload_id>/import": "test_roster.py::test_an_upload_is_its_uploaders_alone",
    "/console/sign-in": "test_console.py::test_sign_in_out_and_the_cookie_flags",
    "/console/sign-out": "test_console.py::test_sign_in_out_and_the_cookie_flags",
    "/console/language": "test_language.py",
    "/console/review/<any(visit, interview):entity>/<uuid:record_id>/approve": (
        "test_review_actions_outside_scope_are_404"
    ),
    "/console/review/<any(visit, interview):entity>/<uuid:record_id>/return": (
        "test_review_actions_outside_scope_are_404"
    ),
    "/console/review/approve-selected": "test_review_bulk.py::test_bulk_approve_per_role_and_scope",
    "/console/households/<uuid:household_id>/level": (
        "test_household_file.py::test_household_changes_follow_role_and_scope"
    ),
    "/console/households/<uuid:household_id>/override": (
        "test_household_file.py::test_household_changes_follow_role_and_scope"
    ),
    "/console/households/<uuid:household_id>/override/remove": (
        "test_household_file.py::test_household_changes_follow_role_and_scope"
    ),
    "/console/caseloads/move": "test_caseloads.py::test_each_role_moves_only_in_its_scope",
    "/console/leads/<uuid:lead_id>/confirm": LEAD_ACTIONS,
    "/console/leads/<uuid:lead_id>/decline": LEAD_ACTIONS,
    "/console/warnings/<uuid:warning_id>/take": WARNING_SCOPE,
    "/console/warnings/<uuid:warning_id>/dispose": WARNING_SCOPE,
    "/console/warnings/<uuid:warning_id>/close": WARNING_SCOPE,
    # The administration pages' other routes: test_admin_permissions.py walks each of them
    # for every role (admins only; supervisors 403; no session to sign-in).
    "/console/admin/users/<id:user_id>": "test_admin_permissions.py",
    "/console/admin/users/<id:user_id>/details": "test_admin_permissions.py",
    "/console/admin/users/<id:user_id>/password": "test_admin_permissions.py",
    "/console/admin/users/<id:user_id>/active": "test_admin_permissions.py",
    "/console/admin/devices/<id:device_pk>/revoke": "test_admin_permissions.py",
    "/console/admin/devices/lease": "test_admin_permissions.py",
    "/console/admin/areas/<id:area_id>": "test_admin_permissions.py",
    "/console/admin/areas/import/<upload_id>": "test_area_import.py::test_only_admins",
    "/console/admin/jobs/<name>/run": "test_admin_jobs.py::test_only_admins_see_or_press_it",
}

# Who sees which household: both streets' supervisors see the split one; street B's
# supervisor does not see street A's own household.
SEES = {
    "admin": {"split", "only_a"},
    "sup_a": {"split", "only_a"},
    "sup_b": {"split"},
    "sup_district": {"split", "only_a"},
}


def _as(console, client, user):
    """Sign in a console role through the form."""
    return console.as_user(user)


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_console_role_sees_its_scope(world, places, console, client, who):
    c = _as(console, client, getattr(world, who))
    for path in COMMON:
        assert c.get(path).status_code == 200, path
    for which in ("split", "only_a"):
        expected = 200 if which in SEES[who] else 404
        for path in _pages(places, which):
            assert c.get(path).status_code == expected, (who, path)


def test_an_advisor_may_not_sign_in_to_the_console(world, console):
    response = console.sign_in(world.adv_a)
    assert response.status_code == 403
    assert console.get("/console/").status_code == 302  # no session came of it


def test_a_session_whose_user_became_an_advisor_opens_no_page(world, places, console, session):
    c = console.as_user(world.sup_a)
    with unit_of_work(session):
        world.sup_a.role = "advisor"  # the role is checked on every request, not at sign-in
    for path in COMMON + _pages(places, "split"):
        assert c.get(path).status_code == 403, path


def test_without_a_session_every_page_goes_to_sign_in(places, console):
    for path in COMMON + _pages(places, "split"):
        response = console.get(path)
        assert response.status_code == 302, path
        assert "/console/sign-in" in response.headers["Location"]


def test_review_actions_outside_scope_are_404(world, places, console):
    c = console.as_user(world.sup_b)
    visit = places["visits"]["only_a"]
    assert c.post(f"/console/review/visit/{visit.id}/approve").status_code == 404
    response = c.post(f"/console/review/visit/{visit.id}/return", {"comment": "再核实"})
    assert response.status_code == 404


def test_every_route_is_covered(app):
    """No console route escapes the matrix above."""
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")}
    rules.discard("/console/static/<path:filename>")
    adapter = app.url_map.bind("localhost")
    pages = {adapter.match(path, return_rule=True)[0].rule for path in COMMON + ADMIN_ONLY}
    covered = pages | set(SCOPED) | set(ACTIONS)
    assert rules - covered == set(), "add these routes to the permission tables"
    assert covered - rules == set(), "these routes are gone"


@pytest.mark.parametrize("who", sorted(SEES))
def test_admin_pages_are_for_admins(world, console, who):
    c = console.as_user(getattr(world, who))
    for path in ADMIN_ONLY:
        assert c.get(path).status_code == (200 if who == "admin" else 403), (who, path)
