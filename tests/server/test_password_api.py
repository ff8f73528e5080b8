"""An advisor changes their own password through the API (and the tablet's sync client)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import AuditEvent
from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import InProcessTransport
from tests.factories import PASSWORD, bearer, login_body

NEW = "a-new-password-2026"
URL = "/api/v1/auth/password"


def test_an_advisor_changes_their_password(client, auth, world, session):
    headers = auth.headers(world.adv_a)
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert client.post(URL, json=body, headers=headers).status_code == 204
    assert (
        client.post("/api/v1/auth/token", json=login_body(world.adv_a.username)).status_code == 401
    )
    signed = client.post("/api/v1/auth/token", json=login_body(world.adv_a.username, NEW))
    assert signed.status_code == 201
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "password_change"))
    assert (event.actor_id, event.diff) == (world.adv_a.id, {"password_hash": ["***", "***"]})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "wrong-password", "new_password": NEW}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "x" * 257}, "new_password"),
    ],
)
def test_refusals_name_the_field_and_change_nothing(client, auth, world, body, field):
    response = client.post(URL, json=body, headers=auth.headers(world.adv_a))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors.get("json", errors)
    assert (
        client.post("/api/v1/auth/token", json=login_body(world.adv_a.username)).status_code == 201
    )


def test_without_a_token_nothing_changes(client, world):
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert client.post(URL, json=body).status_code == 401
    assert client.post(URL, json=body, headers=bearer("not-a-token")).status_code == 401


def test_the_tablet_client_changes_the_password(app, world, tmp_path):
    store = SQLiteStore(tmp_path / "tablet.sqlite3")
    transport = InProcessTransport(app.test_client())
    try:
        tablet = SyncClient(store, transport)
        tablet.login(world.adv_a.username, PASSWORD)
        tablet.change_password(PASSWORD, NEW)
        tablet.login(world.adv_a.username, NEW)
    finally:
        store.close()
        transport.close()


def test_wrong_current_passwords_are_throttled_like_sign_ins(client, auth, world, app):
    # A stolen token must not become a way to guess the password behind it.
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    headers = auth.headers(world.adv_a)
    wrong = {"current_password": "wrong-password", "new_password": NEW}
    for _ in range(limit):
        assert client.post(URL, json=wrong, headers=headers).status_code == 422
    right = {"current_password": PASSWORD, "new_password": NEW}
    refused = client.post(URL, json=right, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert (
        client.post("/api/v1/auth/token", json=login_body(world.adv_a.username, NEW)).status_code
        != 201
    )
