"""Administration of accounts through the console: list and filters, create, deactivate
(tokens and sessions stop at once; a handed-over tablet's records still arrive), password
resets (other sessions end), role and area changes; field errors beside the fields."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.models import AuditEvent, User
from server.services.core.transaction import unit_of_work
from sync.protocol import SCHEMA_VERSION
from tests.factories import PASSWORD, bearer, login_body, visit_data
from tests.server.console.conftest import Console
from tests.server.console.form_errors import field_errors


def _user(session, username: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def admin(world, console):
    return console.as_user(world.admin)


def test_the_list_filters_by_role_area_and_status(world, admin, session):
    with unit_of_work(session):
        world.adv_b.active = False
    page = admin.get("/console/admin/users").get_data(as_text=True)
    assert all(u.username in page for u in (world.admin, world.sup_a, world.adv_a, world.adv_b))
    page = admin.get("/console/admin/users?role=advisor").get_data(as_text=True)
    assert world.adv_a.username in page and world.sup_a.username not in page
    # A street takes in its own accounts (and those of its communities), not the other's.
    street_a = world.street_a.id
    page = admin.get(f"/console/admin/users?area={street_a}").get_data(as_text=True)
    assert world.sup_a.username in page and world.sup_b.username not in page
    page = admin.get("/console/admin/users?active=0").get_data(as_text=True)
    assert world.adv_b.username in page and world.adv_a.username not in page
    assert "已停用" in page


def test_create_with_a_generated_password_shown_once(world, admin, session, client):
    response = admin.post(
        "/console/admin/users/new",
        {
            "username": "newadv",
            "display_name": "新顾问",
            "role": "advisor",
            "area": str(world.community["A1"].id),
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    user = _user(session, "newadv")
    assert (user.role, user.area_id, user.display_name) == (
        "advisor",
        world.community["A1"].id,
        "新顾问",
    )
    # The password works on the tablet's sign-in, and is nowhere in the trail.
    answer = client.post("/api/v1/auth/token", json=login_body("newadv", password))
    assert answer.status_code == 201
    (event,) = [
        e for e in _events(session, "create") if e.entity == "user" and e.entity_id == str(user.id)
    ]
    assert event.actor_id == world.admin.id
    assert password not in str(event.diff) and event.diff["password_hash"] == ["***", "***"]


BAD_NEW_USERS = [
    ({"username": "", "display_name": "x", "role": "advisor"}, "username", None),
    (
        {"username": "{taken}", "display_name": "x", "role": "advisor", "area": "{A1}"},
        "username",
        "该用户名已被使用",
    ),
    (
        {"username": "u1", "display_name": "x", "role": "advisor", "area": "{D1}"},
        "area",
        "该角色不能归属于这一级区划",
    ),
    (
        {"username": "u2", "display_name": "x", "role": "supervisor", "area": "{A1}"},
        "area",
        "该角色不能归属于这一级区划",
    ),
    (
        {"username": "u3", "display_name": "x", "role": "admin", "area": "{SA}"},
        "area",
        "该角色不能归属于这一级区划",
    ),
    (
        {
            "username": "u4",
            "display_name": "x",
            "role": "advisor",
            "area": "{SA}",
            "password": "short",
        },
        "password",
        "至少8个字符",
    ),
    ({"username": "u5", "display_name": "x", "role": "king", "area": "{SA}"}, "role", None),
    ({"username": "u6", "display_name": "x", "role": "advisor", "area": "999999"}, "area", None),
    (
        {"username": "u" * 65, "display_name": "x", "role": "advisor", "area": "{SA}"},
        "username",
        None,
    ),
]


def _fill(world, form: dict) -> dict:
    areas = {f"{{{code}}}": str(a.id) for code, a in world.community.items()}
    areas |= {"{SA}": str(world.street_a.id), "{D1}": str(world.district.id)}
    return {k: areas.get(v, v).replace("{taken}", world.adv_a.username) for k, v in form.items()}


@pytest.mark.parametrize(("form", "field", "text"), BAD_NEW_USERS)
def test_a_bad_new_account_is_refused_beside_its_field(world, admin, session, form, field, text):
    before = session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    response = admin.post("/console/admin/users/new", _fill(world, form))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = field_errors(page, field)
    assert errors, page[:3000]
    if text:
        assert any(text in e for e in errors), errors
    session.expire_all()
    assert session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == before


def test_deactivation_stops_tokens_and_sessions_at_once(world, admin, session, client, auth, app):
    headers = auth.headers(world.adv_a, "tablet-a")
    supervisor = Console(app.test_client())
    supervisor.as_user(world.sup_a)
    assert client.get("/api/v1/sync/pull", headers=headers).status_code == 200
    assert (
        admin.post(f"/console/admin/users/{world.adv_a.id}/active", {"active": "0"}).status_code
        == 302
    )
    assert (
        admin.post(f"/console/admin/users/{world.sup_a.id}/active", {"active": "0"}).status_code
        == 302
    )
    assert client.get("/api/v1/sync/pull", headers=headers).status_code == 401
    assert supervisor.get("/console/").status_code == 302  # the session no longer holds
    assert [e.diff for e in _events(session, "deactivate")] == [{"active": [True, False]}] * 2
    # Reactivated, the old token stays dead: the advisor signs in again (issue 21).
    admin.post(f"/console/admin/users/{world.adv_a.id}/active", {"active": "1"})
    assert client.get("/api/v1/sync/pull", headers=headers).status_code == 401
    fresh = auth.headers(world.adv_a, "tablet-a")
    assert client.get("/api/v1/sync/pull", headers=fresh).status_code == 200


def test_a_deactivated_advisors_tablet_still_hands_over_its_records(
    world, admin, session, client, auth
):
    """The handover rule: another advisor signs in on the tablet and delivers the earlier
    advisor's unsent records with ``on_behalf_of`` (the old token proves authorship)."""
    home = world.household("A1", advisor=world.adv_a)
    old = client.post(
        "/api/v1/auth/token", json=login_body(world.adv_a.username, device_id="shared")
    )
    old_token = old.get_json()["token"]
    admin.post(f"/console/admin/users/{world.adv_a.id}/active", {"active": "0"})
    successor = world.user("advisor", world.street_a, "successor")
    new = client.post("/api/v1/auth/token", json=login_body(successor.username, device_id="shared"))
    assert new.status_code == 201
    body = {
        "device_id": "shared",
        "schema_version": SCHEMA_VERSION,
        "on_behalf_of": old_token,
        "mutations": [
            {
                "mutation_id": 1,
                "entity": "visit",
                "op": "upsert",
                "id": "6f1c1f7e-3f7a-4a38-9a1e-8c1e8d6a0001",
                "base_version": None,
                "data": visit_data(home),
            }
        ],
    }
    answer = client.post(
        "/api/v1/sync/push",
        json=body,
        headers={**bearer(new.get_json()["token"]), "Idempotency-Key": "k1"},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["results"][0]["status"] == "applied"


def test_an_admin_may_not_deactivate_or_demote_themself(world, admin, session):
    admin.post(f"/console/admin/users/{world.admin.id}/active", {"active": "0"})
    assert _user(session, world.admin.username).active
    response = admin.post(
        f"/console/admin/users/{world.admin.id}/details",
        {"display_name": "x", "role": "supervisor", "area": str(world.district.id)},
    )
    assert response.status_code == 422 and "不能修改自己的角色" in response.get_data(as_text=True)
    assert _user(session, world.admin.username).role == "admin"


def test_reset_password_ends_other_sessions(world, admin, session, client, app):
    other = Console(app.test_client())
    other.as_user(world.sup_a)
    response = admin.post(
        f"/console/admin/users/{world.sup_a.id}/password", {"password": "brand new pass"}
    )
    assert response.status_code == 200 and "已设置您输入的密码" in response.get_data(as_text=True)
    assert other.get("/console/").status_code == 302
    assert Console(app.test_client()).sign_in(world.sup_a, PASSWORD).status_code == 401
    assert Console(app.test_client()).sign_in(world.sup_a, "brand new pass").status_code == 302
    (event,) = _events(session, "password_reset")
    assert event.diff == {"password_hash": ["***", "***"]} and "brand new" not in str(event.diff)


@pytest.mark.parametrize(("password", "text"), [("short", "至少8个字符"), ("x" * 257, None)])
def test_a_bad_reset_changes_nothing(world, admin, session, password, text):
    before = _user(session, world.sup_a.username).password_hash
    response = admin.post(f"/console/admin/users/{world.sup_a.id}/password", {"password": password})
    assert response.status_code == 422
    if text:
        assert text in response.get_data(as_text=True)
    assert _user(session, world.sup_a.username).password_hash == before


def test_change_role_and_area(world, admin, session):
    response = admin.post(
        f"/console/admin/users/{world.sup_a.id}/details",
        {"display_name": "区级经办", "role": "supervisor", "area": str(world.district.id)},
    )
    assert response.status_code == 302
    user = _user(session, world.sup_a.username)
    assert (user.display_name, user.area_id) == ("区级经办", world.district.id)
    (event,) = [e for e in _events(session, "update") if e.entity == "user"]
    assert event.diff["area_id"] == [world.street_a.id, world.district.id]


BAD_CHANGES = [
    ({"role": "supervisor", "area": "{A1}"}, "area", "该角色不能归属于这一级区划"),
    ({"role": "supervisor", "area": "{SA}"}, "role", "请先移交该顾问的走访对象"),
    ({"role": "advisor", "area": "{B1}"}, "area", "该顾问有走访对象不在此区划内"),
    ({"role": "advisor", "area": "{SA}", "display_name": " "}, "display_name", None),
]


@pytest.mark.parametrize(("form", "field", "text"), BAD_CHANGES)
def test_a_bad_change_is_refused_and_changes_nothing(world, admin, session, form, field, text):
    world.household("A1", advisor=world.adv_a)
    data = _fill(world, {"display_name": "顾问", **form})
    response = admin.post(f"/console/admin/users/{world.adv_a.id}/details", data)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), field)
    assert errors
    if text:
        assert any(text in e for e in errors), errors
    user = _user(session, world.adv_a.username)
    assert (user.role, user.area_id) == ("advisor", world.street_a.id)
