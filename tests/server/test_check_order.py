"""Checks in the right order: no token → 401 and a role that may not → 403, before any
body or query is validated (so a caller learns nothing about a request it may not make)."""

from __future__ import annotations

import re
import uuid

import pytest

# Operations anyone may call, and the docs page.
PUBLIC = {("POST", "/api/v1/auth/token")}
PUBLIC_PREFIXES = ("/api/v1/openapi.json", "/api/v1/docs")
# Operations only some roles may call, and a role that may not.
ROLE_REFUSED = [
    ("POST", "/api/v1/households", "adv_a"),
    ("PATCH", "/api/v1/households/{id}", "adv_a"),
    ("PATCH", "/api/v1/households/{id}/persons/{id}", "adv_a"),
    ("PUT", "/api/v1/schedule/policy", "sup_a"),
    ("POST", "/api/v1/visits/{id}/return", "adv_a"),
    ("POST", "/api/v1/interviews/{id}/approve", "adv_a"),
    ("POST", "/api/v1/sync/push", "sup_a"),
    ("GET", "/api/v1/sync/pull", "sup_a"),
]


def _operations(app) -> list[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "{id}", rule.rule)
        if not path.startswith("/api/v1") or path.startswith(PUBLIC_PREFIXES):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, path) not in PUBLIC:
                found.add((method, path))
    return sorted(found)


def _send(client, method: str, path: str, headers: dict | None = None):
    url = path.replace("{id}", str(uuid.uuid4())) + "?stret=1&page=zero"
    return client.open(url, method=method, json={"bogus": [1]}, headers=headers or {})


def test_every_operation_is_covered(app):
    # A new endpoint joins the table below without anyone having to remember it.
    assert len(_operations(app)) >= 10


def test_no_token_is_401_before_validation(app, client):
    for method, path in _operations(app):
        response = _send(client, method, path)
        assert response.status_code == 401, (method, path, response.get_json())
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "who"), ROLE_REFUSED)
def test_a_role_that_may_not_is_403_before_validation(world, client, token_of, method, path, who):
    response = _send(client, method, path, token_of(getattr(world, who)))
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["errors"] == {}


def test_an_advisor_enrolling_an_empty_body_is_403(world, client, token_of):
    response = client.post("/api/v1/households", json={}, headers=token_of(world.adv_a))
    assert response.status_code == 403
