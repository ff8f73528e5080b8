"""Push: records created in one batch are seen by later mutations of that batch."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, DeviceMutation, Visit
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_same_record_twice_in_a_batch_is_stored_once(tablet, home, session):
    vid, data = uuid.uuid4(), visit_data(home)
    first, again = tablet.push(
        [tablet.mutation("visit", vid, data), tablet.mutation("visit", vid, data)]
    )
    assert first["status"] == "applied"
    assert again["status"] == "duplicate" and again["version"] == first["version"]
    assert count(session, Visit) == 1
    assert session.get(Visit, vid).version == first["version"]


def test_other_content_for_a_record_of_the_same_batch_waits_for_review(tablet, home, session):
    vid = uuid.uuid4()
    first, other = tablet.push(
        [
            tablet.mutation("visit", vid, visit_data(home)),
            tablet.mutation("visit", vid, visit_data(home, notes="改过")),
        ]
    )
    assert first["status"] == "applied"
    assert other["status"] == "rejected" and other["reason"] == "under_review"
    assert session.get(Visit, vid).notes == "家中情况稳定"


def test_versions_audit_and_answers_follow_the_batch(tablet, home, session):
    ids = [uuid.uuid4() for _ in range(5)]
    results = tablet.push([tablet.mutation("visit", i, visit_data(home)) for i in ids])
    versions = [r["version"] for r in results]
    assert versions == list(range(versions[0], versions[0] + 5))
    assert [session.get(Visit, i).version for i in ids] == versions
    trail = session.scalars(
        select(AuditEvent.entity_id)
        .where(AuditEvent.action == "sync_create")
        .order_by(AuditEvent.id)
    ).all()
    assert trail == [str(i) for i in ids]
    assert count(session, DeviceMutation) == 5


def test_a_record_the_database_refused_is_not_taken_for_stored(tablet, home, session, monkeypatch):
    from server.services.sync import apply

    real = apply._columns

    def sabotage(model, data):
        values = real(model, data)
        if data.get("notes") == "boom":
            values["outcome"] = "exploded"  # the CHECK constraint refuses it
        return values

    monkeypatch.setattr(apply, "_columns", sabotage)
    vid, bad = uuid.uuid4(), visit_data(home, notes="boom")
    refused, again = tablet.push(
        [tablet.mutation("visit", vid, bad), tablet.mutation("visit", vid, bad)]
    )
    assert refused["status"] == "rejected" and again["status"] == "rejected"
    assert count(session, Visit) == 0
