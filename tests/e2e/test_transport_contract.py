"""The tablet's transport against the real app (Kinto's contract pattern): the same cases
run against InProcessTransport (a Flask test client) and HttpTransport (a real HTTP server
thread). The retry behaviour against a scripted stub server is in tests/sync."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from server.extensions import db
from server.models import Device
from sync.transport import (
    AuthError,
    ClientError,
    HttpTransport,
    InProcessTransport,
    Throttled,
    Transport,
)
from tests.factories import PASSWORD

# ============================================================================ harness


@dataclass
class Harness:
    """Builds transports of one kind and records what they sent and how long they slept."""

    kind: str
    app: Flask
    base_url: str
    sent: list[dict] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def make(self, gzip_min_bytes: int = 1024) -> Transport:
        if self.kind == "in-process":
            client = _Recording(self.app.test_client(), self.sent, self.received)
            return InProcessTransport(client, gzip_min_bytes=gzip_min_bytes)
        session = requests.Session()
        session.hooks["response"].append(self._note)
        self._closers.append(session.close)
        return HttpTransport(
            self.base_url,
            session,
            timeout=(2, 10),
            retries=2,
            sleep=self.sleeps.append,
            rng=lambda: 0.0,
            gzip_min_bytes=gzip_min_bytes,
        )

    def _note(self, response: requests.Response, *args, **kwargs) -> None:
        self.sent.append(dict(response.request.headers))
        self.received.append(dict(response.headers))

    def close(self) -> None:
        for close in self._closers:
            close()


class _Recording:
    """A test client that notes the headers of each request and response."""

    def __init__(self, client, sent: list[dict], received: list[dict]):
        self.client, self.sent, self.received = client, sent, received

    def open(self, path, **kwargs):
        self.sent.append(dict(kwargs.get("headers") or {}))
        response = self.client.open(path, **kwargs)
        self.received.append(dict(response.headers))
        return response


@pytest.fixture(params=["in-process", "http"])
def harness(request, app) -> Iterator[Harness]:
    http = request.param == "http"
    h = Harness(request.param, app, request.getfixturevalue("live_server") if http else "")
    yield h
    h.close()


@pytest.fixture
def transport(harness) -> Transport:
    return harness.make()


def _login(transport: Transport, user, password: str = PASSWORD, device_id: str = "tablet-1"):
    return transport.login(user.username, password, device_id, "测试平板", "0.1.0")


# ============================================================================ contract


def test_login_returns_the_token_and_the_user(world, transport):
    body = _login(transport, world.adv_a)
    assert len(body["token"]) >= 43
    assert body["user"]["username"] == world.adv_a.username
    assert body["user"]["role"] == "advisor"
    assert transport.authenticated


def test_wrong_password_is_an_auth_error_with_the_servers_message(world, transport):
    with pytest.raises(AuthError) as caught:
        _login(transport, world.adv_a, password="not-the-password")
    error = caught.value
    assert error.status == 401
    assert error.body["code"] == 401
    assert error.message == "Wrong username or password."
    assert error.response is not None and error.request.method == "POST"
    assert "not-the-password" not in str(error) + repr(error)
    assert not transport.authenticated


def test_an_authenticated_get_returns_the_decoded_body(world, transport):
    world.household(advisor=world.adv_a)
    world.household(advisor=world.adv_b)
    _login(transport, world.adv_a)
    page = transport.request("GET", "/api/v1/households", params={"page_size": 10})
    assert page["total"] == 1
    assert len(page["items"]) == 1


def test_no_token_is_a_401_auth_error(transport):
    with pytest.raises(AuthError) as caught:
        transport.request("GET", "/api/v1/households")
    assert caught.value.status == 401
    assert caught.value.response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_refused_after_logout(world, transport):
    token = _login(transport, world.adv_a)["token"]
    transport.logout()
    assert not transport.authenticated
    transport.set_token(token)
    with pytest.raises(AuthError) as caught:
        transport.request("GET", "/api/v1/households")
    assert caught.value.status == 401
    assert "revoked" in caught.value.message
    assert token not in str(caught.value)


def test_outside_the_area_is_a_403_auth_error(world, transport):
    _login(transport, world.sup_a)
    with pytest.raises(AuthError) as caught:
        transport.request("GET", "/api/v1/households", params={"street": world.street_b.id})
    assert caught.value.status == 403
    assert not caught.value.retryable


def test_a_bad_query_is_a_client_error_carrying_the_field_errors(world, transport):
    _login(transport, world.adv_a)
    with pytest.raises(ClientError) as caught:
        transport.request("GET", "/api/v1/households", params={"page_size": 0, "stret": 3})
    error = caught.value
    assert error.status == 422
    assert set(error.errors["query"]) == {"page_size", "stret"}
    assert error.body["errors"] == error.errors
    assert not error.retryable


def test_an_unknown_path_is_a_404_client_error(transport):
    with pytest.raises(ClientError) as caught:
        transport.request("GET", "/api/v1/nothing-here")
    assert caught.value.status == 404
    assert set(caught.value.body) == {"code", "status", "message", "errors"}


@pytest.mark.parametrize("gzip_min_bytes", [1024, 1 << 30], ids=["gzip", "plain"])
def test_a_body_over_the_limit_is_a_413_client_error(app, harness, gzip_min_bytes):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    transport = harness.make(gzip_min_bytes=gzip_min_bytes)
    # Random hex stays over the limit even gzip-compressed.
    with pytest.raises(ClientError) as caught:
        transport.request("POST", "/api/v1/auth/token", json={"password": os.urandom(8192).hex()})
    assert caught.value.status == 413
    assert ("Content-Encoding" in harness.sent[-1]) == (gzip_min_bytes == 1024)


def test_a_sign_in_lockout_is_throttled_without_waiting(world, harness):
    transport = harness.make()
    for _ in range(5):
        with pytest.raises(AuthError):
            _login(transport, world.adv_a, password="wrong")
    with pytest.raises(Throttled) as caught:
        _login(transport, world.adv_a)
    assert caught.value.status == 429
    assert caught.value.retry_after > 120  # a lockout, far over the cap: give up at once
    assert harness.sleeps == []


def test_a_gzip_body_above_the_threshold_is_accepted(world, harness):
    transport = harness.make(gzip_min_bytes=64)
    body = _login(transport, world.adv_a)
    assert harness.sent[-1]["Content-Encoding"] == "gzip"
    assert body["user"]["username"] == world.adv_a.username


def test_a_large_answer_comes_gzipped_and_is_decoded(world, harness):
    for _ in range(8):
        world.household(advisor=world.adv_a)
    transport = harness.make()
    _login(transport, world.adv_a)
    page = transport.request("GET", "/api/v1/households")
    assert page["total"] == 8
    assert harness.received[-1]["Content-Encoding"] == "gzip"


def test_a_body_below_the_threshold_is_sent_plain(world, harness):
    _login(harness.make(gzip_min_bytes=4096), world.adv_a)
    assert "Content-Encoding" not in harness.sent[-1]


def test_pull_sends_the_caseload_then_resumes_after_the_cursor(world, transport):
    household = world.household(advisor=world.adv_a)
    _login(transport, world.adv_a)
    page = transport.pull(None, 500, pending=(0, None))
    ids = {c["id"] for c in page["changes"] if c["entity"] == "household"}
    assert str(household.id) in ids
    assert page["has_more"] is False and isinstance(page["cursor"], str)
    again = transport.pull(page["cursor"], 500)
    assert str(household.id) not in {c["id"] for c in again["changes"]}


def test_push_applies_and_a_replay_answers_the_same(world, transport):
    household = world.household(advisor=world.adv_a)
    _login(transport, world.adv_a, device_id="tablet-1")
    body = {
        "device_id": "tablet-1",
        "schema_version": 1,
        "mutations": [
            {
                "mutation_id": 1,
                "entity": "household",
                "op": "update",
                "id": str(household.id),
                "base_version": household.version,
                "data": {"phone": "13900000000"},
            }
        ],
    }
    pending = (1, "2026-11-23T01:00:00+00:00")
    first = transport.push(body, "push-key-1", pending=pending)
    assert [r["status"] for r in first["results"]] == ["applied"]
    assert transport.push(body, "push-key-1", pending=pending) == first
    assert _device_report(world.adv_a) == (1, datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


def test_a_push_without_its_key_is_a_client_error(world, transport):
    _login(transport, world.adv_a)
    with pytest.raises(ClientError) as caught:
        transport.request(
            "POST",
            "/api/v1/sync/push",
            json={"device_id": "tablet-1", "schema_version": 1, "mutations": []},
            idempotent=True,
        )
    assert caught.value.status == 422
    assert "Idempotency-Key" in str(caught.value.errors)


def _device_report(user) -> tuple:
    """What the server stored from X-Pending-Count / X-Oldest-Pending-At for ``user``."""
    row = db.session.execute(
        select(Device.pending_count, Device.oldest_pending_at).where(Device.user_id == user.id)
    ).one()
    db.session.commit()  # end the read: an open SQLite transaction holds the write lock
    count, oldest = row
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return count, oldest
