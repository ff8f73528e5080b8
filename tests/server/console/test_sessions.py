"""Console sessions end for good on the server: a cookie copied before sign-out,
deactivation, a password change or a role change opens nothing afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.models import ConsoleSession
from tests.factories import PASSWORD
from tests.server.console.conftest import Console

NEW = "a brand new pass"

QUEUE = "/console/review"


@pytest.fixture
def admin(world, app) -> Console:
    return Console(app.test_client()).as_user(world.admin)


def _copied(console: Console) -> str:
    """The session cookie as someone copying it from the browser would have it."""
    cookie = console.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replayed(app, cookie: str):
    """The review queue opened by another browser holding only the copied cookie."""
    thief = Console(app.test_client())
    thief.client.set_cookie("session", cookie)
    return thief.get(QUEUE)


def _signed_out(response) -> bool:
    return response.status_code == 302 and "/console/sign-in" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_opens_nothing(world, app, console, session):
    console.as_user(world.sup_a)
    cookie = _copied(console)
    assert _replayed(app, cookie).status_code == 200  # the copy works while signed in
    assert console.post("/console/sign-out").status_code == 302
    assert _signed_out(_replayed(app, cookie))
    assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 0


def test_signing_out_ends_only_that_browser(world, app, console):
    console.as_user(world.sup_a)
    other = Console(app.test_client()).as_user(world.sup_a)
    console.post("/console/sign-out")
    assert other.get(QUEUE).status_code == 200


def test_deactivation_ends_sessions_and_reactivation_revives_none(world, app, console, admin):
    console.as_user(world.sup_a)
    cookie = _copied(console)
    admin.post(f"/console/admin/users/{world.sup_a.id}/active", {"active": "0"})
    admin.post(f"/console/admin/users/{world.sup_a.id}/active", {"active": "1"})
    assert _signed_out(_replayed(app, cookie))
    assert _signed_out(console.get(QUEUE))


def test_a_password_change_ends_every_other_session(world, app, console):
    console.as_user(world.sup_a)
    other = Console(app.test_client()).as_user(world.sup_a)
    cookie = _copied(console)
    response = other.post(
        "/console/password",
        {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _signed_out(_replayed(app, cookie))
    assert other.get(QUEUE).status_code == 200  # the browser that changed it carries on


def test_a_password_reset_ends_every_session(world, app, console, admin):
    console.as_user(world.sup_a)
    cookie = _copied(console)
    admin.post(f"/console/admin/users/{world.sup_a.id}/password", {"password": "reset pass 1"})
    assert _signed_out(_replayed(app, cookie))


def test_a_role_change_ends_every_session(world, app, console, admin):
    console.as_user(world.sup_a)
    cookie = _copied(console)
    response = admin.post(
        f"/console/admin/users/{world.sup_a.id}/details",
        {"display_name": "经办", "role": "admin", "area": str(world.district.id)},
    )
    assert response.status_code == 302
    assert _signed_out(_replayed(app, cookie))


def test_a_name_change_keeps_the_session(world, app, console, admin):
    console.as_user(world.sup_a)
    cookie = _copied(console)
    admin.post(
        f"/console/admin/users/{world.sup_a.id}/details",
        {"display_name": "新名字", "role": "supervisor", "area": str(world.street_a.id)},
    )
    assert _replayed(app, cookie).status_code == 200


def test_a_supervisors_console_address_survives_a_stranger_s_guessing(world, console, client, app):
    """The console signs in from an address the API's guessing does not lock (18.5)."""
    address = {"REMOTE_ADDR": "10.0.0.7"}
    console.client.environ_base.update(address)
    console.as_user(world.sup_a)
    console.post("/console/sign-out")
    name = world.sup_a.username
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_USER"]):
        body = {"username": name, "password": "wrong", "device_id": "t"}
        client.post(
            "/api/v1/auth/token", json=body, environ_base={"REMOTE_ADDR": f"10.6.0.{n // 5}"}
        )
    stranger = Console(app.test_client())
    stranger.client.environ_base.update({"REMOTE_ADDR": "10.6.0.99"})
    assert stranger.sign_in(world.sup_a).status_code == 429
    assert console.sign_in(world.sup_a).status_code == 302


def test_wrong_current_passwords_are_throttled_like_sign_ins(world, app, console):
    # An unlocked browser left open must not become a way to guess the password.
    console.as_user(world.sup_a)
    wrong = {"current_password": "wrong-password", "new_password": NEW, "confirm": NEW}
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]):
        assert console.post("/console/password", wrong).status_code == 422
    right = {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}
    refused = console.post("/console/password", right)
    assert refused.status_code == 429
    assert "次" in refused.get_data(as_text=True) or "秒" in refused.get_data(as_text=True)
