"""The API answers as its OpenAPI document (/api/v1/openapi.json) says, checked by schemathesis.

The fuzzer sends every generated request (valid and invalid: schemathesis' examples,
coverage and fuzzing phases, positive and negative modes) anonymously and with the token of
an admin, a supervisor and an advisor, so the real handlers run, not only the 401. No answer
may be a 5xx, and each must be one the document describes: status code, content type,
headers and body. Requests it cannot guess (real credentials, a record that exists, a valid
enrolment) are sent by hand and checked the same way, so the success bodies are covered too.
"""

from __future__ import annotations

import tempfile
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server import create_app
from tests.factories import bearer, login_body

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ("admin", "sup_a", "adv_a")


def _document() -> dict:
    """The OpenAPI document as the app serves it (building it needs no database)."""
    with tempfile.TemporaryDirectory() as instance, pytest.MonkeyPatch.context() as mp:
        mp.setenv("TANFANG_INSTANCE_PATH", instance)
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        response = app.test_client().get("/api/v1/openapi.json")
        assert response.status_code == 200
        return response.get_json()


DOCUMENT = _document()
# Loaded at import, not with `schemathesis.pytest.from_fixture`: the lazy schema sets
# `node._nodeid`, which pytest 9.2 no longer has. Each call goes to the `app` fixture instead.
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {"seed": 20261123, "generation": {"database": "none", "deterministic": True}}
    ),
)


class Identities:
    """Authorization headers per role; a token revoked by ``/auth/logout`` is issued anew."""

    def __init__(self, world, token_of):
        self.world, self.token_of = world, token_of
        self.headers: dict[str, dict[str, str]] = {}

    def __call__(self, role: str) -> dict[str, str]:
        if role not in self.headers:
            self.headers[role] = self.token_of(getattr(self.world, role))
        return self.headers[role]

    def forget(self, role: str) -> None:
        self.headers.pop(role, None)


@pytest.fixture
def home(world):
    """A household in street A, in the advisor's caseload, with one member."""
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def identities(world, token_of, home) -> Identities:
    return Identities(world, token_of)


# Schemathesis reads the WSGI body as sent; ask for it uncompressed (gzip is tested apart).
PLAIN = {"Accept-Encoding": "identity"}


def _is_logout(case) -> bool:
    return case.operation.path.endswith("/auth/logout")


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    # The `app` fixture (one database) serves every example of an operation, by design.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_matches_the_document(app, identities, case):
    case.call_and_validate(app=app, headers=PLAIN, checks=CHECKS)
    for role in ROLES:
        headers = {**PLAIN, **identities(role)}
        response = case.call_and_validate(app=app, headers=headers, checks=CHECKS)
        if _is_logout(case) and response.status_code == 204:
            identities.forget(role)


def _json(value):
    """Dates as the wire has them."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


def test_success_answers_match_the_document(app, world, home, token_of):
    def check(path: str, method: str, expected: int, **kwargs) -> dict | None:
        kwargs["headers"] = {**PLAIN, **kwargs.get("headers", {})}
        case = schema[path][method].Case(**kwargs)
        response = case.call_and_validate(app=app, checks=CHECKS)
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    for role in ROLES:
        headers = token_of(getattr(world, role))
        page = check("/api/v1/households", "GET", 200, headers=headers)
        assert [item["id"] for item in page["items"]] == [str(home.id)]
        check(
            "/api/v1/households/{household_id}",
            "GET",
            200,
            headers=headers,
            path_parameters={"household_id": str(home.id)},
        )

    body = _json(world.household_data("B1"))
    body["persons"] = [_json(world.person_data())]
    created = check("/api/v1/households", "POST", 201, headers=token_of(world.admin), body=body)
    assert created["external_id"] == body["external_id"]

    signed_in = check(
        "/api/v1/auth/token",
        "POST",
        201,
        body=login_body(world.adv_a.username, device_id="tablet-9"),
    )
    headers = bearer(signed_in["token"])
    check("/api/v1/auth/logout", "POST", 204, headers=headers)
    check("/api/v1/auth/logout", "POST", 401, headers=headers)


def test_every_error_answer_is_documented_with_the_error_body():
    assert DOCUMENT["openapi"] == "3.1.0"
    error = {"$ref": "#/components/schemas/Error"}
    responses = DOCUMENT["components"].get("responses", {})
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = operation["responses"]
            # No catch-all: the status-code check above only means something without one.
            assert "default" not in codes, (method, path)
            assert "5XX" in codes, (method, path)
            if operation.get("security"):
                assert "401" in codes, (method, path)
            for code, answer in codes.items():
                if code[0] in "45":
                    answer = responses.get(answer.get("$ref", "").rsplit("/", 1)[-1], answer)
                    assert answer["content"]["application/json"]["schema"] == error, (
                        method,
                        path,
                        code,
                    )


# Regressions: answers that were a 500 (see the fuzzer above), now field errors.
@pytest.mark.parametrize("field", ["street", "community", "advisor"])
def test_an_id_beyond_bigint_is_a_field_error(world, client, token_of, field):
    response = client.get(f"/api/v1/households?{field}={2**31}", headers=token_of(world.admin))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


@pytest.mark.parametrize("text", ["a\\u0000b", "\\ud800"])
def test_text_no_database_stores_is_a_field_error(world, client, text):
    # NUL fails in PostgreSQL; a lone surrogate in any UTF-8 driver and in the password hash.
    body = f'{{"username": "{world.admin.username}", "password": "{text}", "device_id": "{text}"}}'
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"password", "device_id"}


def test_a_nul_in_the_search_is_a_field_error(world, client, token_of):
    response = client.get("/api/v1/households?q=a%00b", headers=token_of(world.admin))
    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]["query"]
