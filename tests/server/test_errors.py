"""Every failure answers with the one error shape, never a stack trace."""

from __future__ import annotations

import logging
import sqlite3
import uuid

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from server.models import Household, Person

SHAPE = {"code", "status", "message", "errors"}


def _assert_shape(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == SHAPE
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_unknown_path_is_404(client):
    _assert_shape(client.get("/api/v1/nothing-here"), 404)
    _assert_shape(client.get("/not-api-either"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/auth/token")
    _assert_shape(response, 405)
    assert "POST" in response.headers["Allow"]


def test_oversized_body_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/auth/token", data="x" * 4096, content_type="application/json")
    _assert_shape(response, 413)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ('{"username": "a",}', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("\xff\xfe", "application/json"),
        # Each of these was a 500 (RecursionError, ValueError) before the body guard.
        ("[" * 100_000, "application/json"),
        ('{"a": ' * 50_000 + "1" + "}" * 50_000, "application/json"),
        ('{"username": ' + "9" * 5_000 + "}", "application/json"),
        ('{"username": NaN}', "application/json"),
        ('{"username": 1e999}', "application/json"),
    ],
)
def test_malformed_json_is_a_clear_4xx(client, data, content_type):
    response = client.post("/api/v1/auth/token", data=data, content_type=content_type)
    body = _assert_shape(response, response.status_code)
    assert 400 <= response.status_code < 500
    assert body["message"]
    assert body["errors"]["json"]


def test_malformed_json_on_an_authenticated_write_changes_nothing(world, client, token_of, session):
    response = client.post(
        "/api/v1/households",
        data="{broken",
        content_type="application/json",
        headers=token_of(world.admin),
    )
    assert 400 <= response.status_code < 500
    assert set(response.get_json()) == SHAPE
    assert session.scalar(select(Household.id)) is None


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=abc",
        "page_size=501",
        "street=-1",
        "community=x",
        "separated=maybe",
        "unknown=1",
        "q=" + "x" * 51,
    ],
)
def test_bad_query_arguments_get_field_errors(world, client, token_of, query):
    response = client.get(f"/api/v1/households?{query}", headers=token_of(world.admin))
    body = _assert_shape(response, 422)
    assert body["errors"]["query"]


@pytest.mark.parametrize("path", ["/api/v1/households/not-a-uuid", "/api/v1/households/123"])
def test_malformed_ids_are_404(world, client, token_of, path):
    _assert_shape(client.get(path, headers=token_of(world.admin)), 404)


def test_unhandled_error_is_500_without_a_trace(app, client, caplog, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("server.services.auth.tokens.finish_sign_in", explode)
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/api/v1/auth/token", json={"username": "u", "password": "p", "device_id": "d"}
        )
    body = _assert_shape(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "not applied" in body["message"]
    assert "RuntimeError" in caplog.text


def test_a_database_error_is_logged_without_its_values(app, client, caplog, monkeypatch, world):
    """A real constraint refusal escaping as a 500: the log names the error and where it
    happened, never the values (PostgreSQL's DETAIL names the ID number)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    member = world.household("A1").persons[0]
    columns = {c.key: getattr(member, c.key) for c in Person.__table__.columns}
    world.session.commit()

    def collide(session, *args, **kwargs):
        session.execute(insert(Person).values({**columns, "id": uuid.uuid4()}))

    monkeypatch.setattr("server.services.auth.tokens.finish_sign_in", collide)
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            "/api/v1/auth/token", json={"username": "u", "password": "p", "device_id": "d"}
        )
    _assert_shape(response, 500)
    assert "IntegrityError" in caplog.text
    assert member.id_number not in caplog.text and member.name not in caplog.text
    assert member.birth_date.isoformat() not in caplog.text


def test_a_busy_embedded_database_answers_503_with_retry_after(app, client, monkeypatch):
    """SQLite's lock timeout under load is not a bug: the tablet is told to come back."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def busy(*args, **kwargs):
        raise OperationalError(
            "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr("server.services.auth.tokens.finish_sign_in", busy)
    response = client.post(
        "/api/v1/auth/token", json={"username": "u", "password": "p", "device_id": "d"}
    )
    body = _assert_shape(response, 503)
    assert response.headers["Retry-After"] == "2"
    assert "nothing was applied" in body["message"]


def test_passwords_and_tokens_never_reach_the_log(world, auth, client, caplog):
    with caplog.at_level(logging.DEBUG):
        token = auth.login(world.adv_a.username).get_json()["token"]
        auth.login(world.adv_a.username, "WrongPassword!")
        client.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"})
    assert token not in caplog.text
    assert "WrongPassword!" not in caplog.text


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("put", "/api/v1/schedule/policy", "admin"),
        ("post", "/api/v1/households", "sup_a"),
        ("patch", "/api/v1/households/00000000-0000-4000-8000-000000000000", "sup_a"),
    ],
)
def test_a_50000_deep_body_is_a_400_on_authenticated_writes(
    world, client, token_of, method, path, role
):
    body = '{"a": ' * 50_000 + "1" + "}" * 50_000
    response = getattr(client, method)(
        path, data=body, content_type="application/json", headers=token_of(getattr(world, role))
    )
    payload = _assert_shape(response, 400)
    assert "deeper" in payload["errors"]["json"][0]


def test_security_headers_on_every_answer(world, client, token_of):
    listing = client.get("/api/v1/households", headers=token_of(world.admin))
    missing = client.get("/api/v1/nothing-here")
    for response in (listing, missing, client.get("/api/v1/openapi.json")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Server" not in response.headers
    # Personal data (and any API answer) is never cached; the public contract may be.
    assert listing.headers["Cache-Control"] == "no-store"
    assert missing.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/api/v1/openapi.json").headers.get("Cache-Control", "")


def test_docs_page_serves_its_assets_locally_with_a_csp(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    html = page.get_data(as_text=True)
    assert "http" not in html  # nothing from another host
    assert "<script>" not in html  # no inline script for the CSP to allow
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        url = f"/api/v1/docs/assets/{asset}"
        assert url in html
        with client.get(url) as response:
            assert response.status_code == 200
    with client.get("/api/v1/docs/own/init.js") as init:
        assert init.status_code == 200 and b"SwaggerUIBundle" in init.data
    with client.get("/api/v1/docs/assets/../../app.py") as escape:
        assert escape.status_code == 404
