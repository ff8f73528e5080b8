"""Sign-in, tokens, sign-out and throttling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Device
from server.services.auth import token_digest
from tests.server_fixtures import PASSWORD


def test_login_issues_a_device_token(world, auth, session):
    response = auth.login(world.adv_a.username)
    assert response.status_code == 201
    body = response.get_json()
    assert len(body["token"]) >= 43  # 32 random bytes, urlsafe base64
    assert body["user"]["role"] == "advisor"
    assert body["user"]["area"]["code"] == "SA"
    device = session.scalar(select(Device).where(Device.user_id == world.adv_a.id))
    # Only the hash is stored.
    assert device.token_hash == token_digest(body["token"])
    assert body["token"] not in device.token_hash
    assert device.name == "测试平板"
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC) + timedelta(days=29)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "device"))
    assert list(actions) == ["login"]


def test_token_opens_the_api_and_logout_revokes_it(world, auth, client):
    headers = auth.headers(world.adv_a)
    assert client.get("/api/v1/households", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get("/api/v1/households", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["message"]


def test_signing_in_again_on_the_same_tablet_retires_the_old_token(world, auth, client):
    old = auth.headers(world.adv_a, device_id="tab")
    new = auth.headers(world.adv_a, device_id="tab")
    assert client.get("/api/v1/households", headers=old).status_code == 401
    assert client.get("/api/v1/households", headers=new).status_code == 200


def test_expired_token_is_refused(world, auth, client, session):
    headers = auth.headers(world.adv_a)
    device = session.scalar(select(Device).where(Device.user_id == world.adv_a.id))
    device.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    response = client.get("/api/v1/households", headers=headers)
    assert response.status_code == 401
    assert "expired" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("seen_ago", "path", "noted"),
    [
        (timedelta(minutes=5), "/api/v1/households", True),
        # Being seen is a unit of its own: kept even when the request is then refused.
        (timedelta(minutes=5), f"/api/v1/households/{uuid.UUID(int=1)}", True),
        # Within the minute nothing is written.
        (timedelta(seconds=20), "/api/v1/households", False),
    ],
    ids=["listing", "refused-404", "seen-just-now"],
)
def test_a_request_notes_the_device_as_seen_at_most_once_a_minute(
    world, auth, client, session, seen_ago, path, noted
):
    headers = auth.headers(world.adv_a)
    device = session.scalar(select(Device).where(Device.user_id == world.adv_a.id))
    earlier = datetime.now(UTC) - seen_ago
    device.last_seen_at = earlier
    session.commit()
    client.get(path, headers=headers)
    session.rollback()  # what the request committed, not what this session holds
    seen = session.scalar(select(Device.last_seen_at).where(Device.id == device.id))
    assert (seen > earlier) is noted


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (None, "missing"),
        ("Bearer", "missing"),
        ("Basic dXNlcjpwYXNz", "missing"),
        ("Bearer not-a-real-token", "not valid"),
    ],
)
def test_missing_or_bad_token_gets_401_in_the_error_shape(world, client, header, fragment):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/households", headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == 401 and fragment in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_password_and_unknown_user_answer_alike(world, auth):
    wrong = auth.login(world.adv_a.username, "wrong password")
    unknown = auth.login("nobody", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_failed_logins_are_throttled_per_user(world, auth, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER"]
    for _ in range(limit):
        assert auth.login(world.adv_a.username, "wrong").status_code == 401
    # Even the right password is refused while the user is throttled.
    response = auth.login(world.adv_a.username, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["code"] == 429
    # Another user from the same address is not affected yet.
    assert auth.login(world.adv_b.username).status_code == 201


def test_failed_logins_are_throttled_per_address(world, auth, app):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    for i in range(3):
        assert auth.login(f"guess{i}", "wrong").status_code == 401
    assert auth.login(world.adv_b.username).status_code == 429


def test_a_success_clears_the_users_failures(world, auth, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER"]
    for _ in range(limit - 1):
        auth.login(world.adv_a.username, "wrong")
    assert auth.login(world.adv_a.username).status_code == 201
    for _ in range(limit - 1):
        auth.login(world.adv_a.username, "wrong")
    assert auth.login(world.adv_a.username).status_code == 201


def test_disabled_account_cannot_sign_in_or_use_its_token(world, auth, client, session):
    headers = auth.headers(world.adv_a)
    world.adv_a.active = False
    session.commit()
    assert client.get("/api/v1/households", headers=headers).status_code == 401
    assert auth.login(world.adv_a.username).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x", "device_id": "t"}, "username"),
        ({"username": "u", "device_id": "t"}, "password"),
        ({"username": "u", "password": "x"}, "device_id"),
        ({"username": 5, "password": "x", "device_id": "t"}, "username"),
        ({"username": "u", "password": "x", "device_id": "t", "admin": True}, "admin"),
        ({"username": "u" * 65, "password": "x", "device_id": "t"}, "username"),
        ({"username": "u", "password": "x", "device_id": ""}, "device_id"),
    ],
)
def test_bad_login_bodies_get_field_errors(client, body, field):
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert field in errors
