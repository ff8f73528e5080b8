"""Helpers for sync tests: a tablet that pushes and pulls through the test client."""

from __future__ import annotations

import itertools
import uuid

import requests

# visit_data and interview_data live in tests.factories; still importable from here.
from tests.factories import bearer, interview_data, login_body, sign_in, visit_data

__all__ = ["HttpTablet", "Tablet", "interview_data", "visit_data"]


class Tablet:
    """One advisor's tablet: a device token, an outbox sequence and a cursor."""

    def __init__(self, client, user, device_id: str | None = None):
        self.client = client
        self.user = user
        self.device_id = device_id or f"tablet-{uuid.uuid4().hex[:8]}"
        self.headers = self._sign_in()
        self.seq = itertools.count(1)
        self.cursor = ""

    def _sign_in(self) -> dict[str, str]:
        return sign_in(self.client, self.user, self.device_id)

    def mutation(
        self,
        entity: str,
        record_id,
        data: dict,
        op: str = "upsert",
        base_version=None,
        mutation_id: int | None = None,
    ) -> dict:
        return {
            "mutation_id": next(self.seq) if mutation_id is None else mutation_id,
            "entity": entity,
            "op": op,
            "id": str(record_id),
            "base_version": base_version,
            "data": data,
        }

    def push_raw(self, mutations: list[dict], key: str | None = None, **extra):
        body = {"device_id": self.device_id, "schema_version": 1, "mutations": mutations}
        headers = {**self.headers, "Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post("/api/v1/sync/push", json=body, headers=headers, **extra)

    def push(self, mutations: list[dict], key: str | None = None) -> list[dict]:
        response = self.push_raw(mutations, key)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["results"]

    def pull_page(self, cursor: str | None = None, limit: int = 500) -> dict:
        response = self.client.get(
            "/api/v1/sync/pull",
            headers=self.headers,
            query_string={"cursor": self.cursor if cursor is None else cursor, "limit": limit},
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def pull(self, limit: int = 500) -> list[dict]:
        """Pull until has_more is false; returns every change, advances the cursor."""
        changes = []
        while True:
            page = self.pull_page(limit=limit)
            changes.extend(page["changes"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return changes


class HttpTablet(Tablet):
    """The test tablet, but signing in and pushing over real HTTP (``requests``)."""

    def __init__(self, base: str, user, device_id: str | None = None):
        self.base, self.http = base, requests.Session()
        super().__init__(None, user, device_id)

    def _sign_in(self) -> dict[str, str]:
        body = login_body(self.user.username, device_id=self.device_id)
        answer = self.http.post(f"{self.base}/api/v1/auth/token", json=body, timeout=10)
        assert answer.status_code == 201, answer.text
        return bearer(answer.json()["token"])

    def push_raw(self, mutations: list[dict], key: str | None = None, **extra):
        body = {"device_id": self.device_id, "schema_version": 1, "mutations": mutations}
        headers = {**self.headers, "Idempotency-Key": key or uuid.uuid4().hex}
        answer = self.http.post(
            f"{self.base}/api/v1/sync/push", json=body, headers=headers, timeout=10
        )
        answer.get_json = answer.json  # the shape Tablet.push reads
        return answer
