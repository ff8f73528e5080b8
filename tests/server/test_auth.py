"""Sign-in, tokens, sign-out and throttling."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, select
from werkzeug.security import check_password_hash

from server.models import AuditEvent, Device
from server.services.auth import tokens
from server.services.auth.tokens import token_digest
from tests.factories import PASSWORD


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


def _login_from(client, address: str, username: str, password: str = PASSWORD):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password, "device_id": "t"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_strangers_guesses_lock_out_only_the_stranger(world, client, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    name = world.adv_a.username
    for _ in range(limit):
        assert _login_from(client, "10.9.9.9", name, "wrong").status_code == 401
    # The stranger's address is throttled for this user, even with the right password...
    response = _login_from(client, "10.9.9.9", name)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["code"] == 429
    # ...while the account's owner signs in from their own tablet, and another user from
    # the stranger's address is not affected yet.
    assert _login_from(client, "10.0.0.7", name).status_code == 201
    assert _login_from(client, "10.9.9.9", world.adv_b.username).status_code == 201


def test_guessing_from_many_addresses_meets_the_per_user_ceiling(world, client, app, runner):
    app.config["LOGIN_MAX_FAILURES_PER_USER"] = 6
    name = world.adv_a.username
    for address in ("10.1.0.1", "10.1.0.2", "10.1.0.3"):
        for _ in range(2):
            assert _login_from(client, address, name, "wrong").status_code == 401
    assert _login_from(client, "10.0.0.7", name).status_code == 429
    listed = runner.invoke(args=["user", "lockouts"])
    assert listed.exit_code == 0
    assert listed.output.count(name) == 3 and "locked" in listed.output
    # An admin lifts it.
    result = runner.invoke(args=["user", "unlock", name])
    assert result.exit_code == 0 and "6 failed" in result.output
    assert _login_from(client, "10.0.0.7", name).status_code == 201
    assert "No failed sign-ins" in runner.invoke(args=["user", "lockouts"]).output


def test_failed_logins_are_throttled_per_address(world, auth, app):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    for i in range(3):
        assert auth.login(f"guess{i}", "wrong").status_code == 401
    assert auth.login(world.adv_b.username).status_code == 429


def test_an_address_lock_is_listed_and_lifted(world, client, app, runner):
    """Issue 21: a lock on an address over every username shows in ``user lockouts`` and
    ``user unlock --address`` lifts it (a username's unlock does not)."""
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    for i in range(3):
        assert _login_from(client, "10.9.9.9", f"guess{i}", "wrong").status_code == 401
    assert _login_from(client, "10.9.9.9", world.adv_b.username).status_code == 429
    listed = runner.invoke(args=["user", "lockouts"]).output.splitlines()
    (line,) = [row for row in listed if row.startswith("(every account)")]
    assert "10.9.9.9" in line and "locked address" in line and "3" in line
    assert runner.invoke(args=["user", "unlock"]).exit_code == 2  # neither given
    assert runner.invoke(args=["user", "unlock", "x", "--address", "1.1.1.1"]).exit_code == 2
    lifted = runner.invoke(args=["user", "unlock", "--address", "10.9.9.9"])
    assert lifted.exit_code == 0 and "3 failed" in lifted.output
    assert _login_from(client, "10.9.9.9", world.adv_b.username).status_code == 201


def test_a_success_clears_the_users_failures(world, auth, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
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


def _write_briefly(url: str) -> None:
    """One write transaction that gives up after 0.2 s of waiting for a lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 0.2, "isolation_level": None})
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.exec_driver_sql("UPDATE sync_counter SET value = value")
            conn.exec_driver_sql("COMMIT")
    else:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            conn.exec_driver_sql("UPDATE sync_counter SET value = value")
            conn.exec_driver_sql("UPDATE user_account SET display_name = display_name")
    engine.dispose()


def test_the_password_is_hashed_outside_the_write_transaction(
    world, live_server, session, app, monkeypatch
):
    """While the sign-in is checking the password, another writer is not kept waiting:
    the check is held open (an event, not a slow hash) until a write has gone through."""
    hashing, written = threading.Event(), threading.Event()

    def held_check(stored_hash: str, password: str) -> bool:
        hashing.set()
        assert written.wait(20), "the test never wrote"
        return check_password_hash(stored_hash, password)

    monkeypatch.setattr(tokens, "check_password_hash", held_check)
    username = world.adv_a.username
    session.commit()  # the test's own unit ends (and SQLite's write lock with it)
    answers = []
    signer = threading.Thread(
        target=lambda: answers.append(
            requests.post(
                f"{live_server}/api/v1/auth/token",
                json={"username": username, "password": PASSWORD, "device_id": "t"},
                timeout=30,
            ).status_code
        )
    )
    signer.start()
    try:
        assert hashing.wait(20), "the sign-in never checked the password"
        # Fails with "database is locked" / a lock timeout if the sign-in holds the lock.
        _write_briefly(app.config["SQLALCHEMY_DATABASE_URI"])
    finally:
        written.set()
        signer.join(30)
    assert answers == [201]


def test_a_stranger_on_many_addresses_cannot_lock_the_owner_out(world, client, app, runner):
    """50 wrong passwords from 10 addresses (issue 18.5): the per-user ceiling then slows
    down unknown addresses, but not the address the owner signed in from recently."""
    name = world.adv_a.username
    assert _login_from(client, "10.0.0.7", name).status_code == 201  # the owner's tablet
    ceiling = app.config["LOGIN_MAX_FAILURES_PER_USER"]
    per_address = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    for n in range(ceiling):
        address = f"10.6.0.{n // per_address}"
        assert _login_from(client, address, name, "wrong").status_code == 401
    assert _login_from(client, "10.6.0.99", name).status_code == 429  # unknown: slowed down
    assert _login_from(client, "10.0.0.7", name, "typo").status_code == 401
    listed = runner.invoke(args=["user", "lockouts"]).output.splitlines()
    (owner,) = [line for line in listed if "10.0.0.7" in line]
    assert owner.endswith("-")  # the admin sees the owner's address is not locked
    assert _login_from(client, "10.0.0.7", name).status_code == 201  # the owner carries on


def test_the_owners_own_guesses_still_meet_the_per_address_limit(world, client, app):
    name = world.adv_a.username
    assert _login_from(client, "10.0.0.7", name).status_code == 201
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]):
        assert _login_from(client, "10.0.0.7", name, "wrong").status_code == 401
    assert _login_from(client, "10.0.0.7", name).status_code == 429
