"""Push: when a visit is a ``duplicate`` — the very same mutation, never a status transition."""

from __future__ import annotations

import uuid

import pytest

from server.models import Visit
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def _stored(tablet, home, client, token_of, world, status: str) -> tuple[uuid.UUID, dict]:
    """A visit stored as ``status``; returns its id and the content the server holds."""
    vid, content = uuid.uuid4(), visit_data(home, notes="初稿")
    [first] = tablet.push([tablet.mutation("visit", vid, content)])
    assert first["status"] == "applied"
    if status == "submitted":
        return vid, content
    supervisor = token_of(world.sup_a)
    url = f"/api/v1/visits/{vid}/return"
    assert client.post(url, json={"comment": "请补充"}, headers=supervisor).status_code == 200
    content = {**content, "status": "resubmitted"}
    [again] = tablet.push([tablet.mutation("visit", vid, content)])
    assert again["status"] == "applied"
    if status == "returned":  # returned again after an unchanged resubmission
        assert client.post(url, json={"comment": "再补充"}, headers=supervisor).status_code == 200
    return vid, content


# (stored status, same content?, base_version relative to the stored version or None)
# → the answer. Equal content is a duplicate unless the record is returned and the tablet
# had seen that (base_version at or above the stored version).
RULES = [
    ("submitted", True, None, "duplicate"),
    ("submitted", True, 0, "duplicate"),
    ("resubmitted", True, None, "duplicate"),
    ("resubmitted", True, 0, "duplicate"),
    ("returned", True, None, "duplicate"),
    ("returned", True, -1, "duplicate"),
    ("returned", True, 0, "applied"),
    ("returned", True, 1, "applied"),
    ("returned", False, None, "applied"),
    ("returned", False, -1, "applied"),
    ("submitted", False, 0, "under_review"),
]


@pytest.mark.parametrize(("status", "same", "base", "answer"), RULES)
def test_equal_content_is_a_duplicate_unless_a_seen_return_is_resubmitted(
    tablet, home, client, token_of, world, session, status, same, base, answer
):
    vid, content = _stored(tablet, home, client, token_of, world, status)
    session.expire_all()
    stored = session.get(Visit, vid)
    assert stored.status == status
    before = stored.version
    data = content if same else {**content, "notes": "已补充收入", "status": "resubmitted"}
    base_version = None if base is None else before + base
    [result] = tablet.push([tablet.mutation("visit", vid, data, base_version=base_version)])
    session.expire_all()
    stored = session.get(Visit, vid)
    if answer == "duplicate":
        assert result == {
            "mutation_id": result["mutation_id"],
            "status": "duplicate",
            "version": before,
        }
        assert stored.status == status and stored.version == before
    elif answer == "applied":
        assert result["status"] == "applied" and result["version"] > before
        assert stored.status == "resubmitted" and stored.version == result["version"]
    else:
        assert result["status"] == "rejected" and result["reason"] == answer
        assert stored.version == before
