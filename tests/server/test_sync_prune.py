"""Retention (issue 8 §5): a prune removes bookkeeping, and old pushes and cursors replayed
after it are still never acknowledged falsely, applied twice, or served stale."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from server.models import (
    AuditEvent,
    DeviceMutation,
    Household,
    IdempotentReply,
    SyncCounter,
    Tombstone,
    Visit,
)
from server.services.core.transaction import unit_of_work
from server.services.sync import prune as sync_prune
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet

TABLES = {
    "device_mutation": DeviceMutation,
    "idempotent_reply": IdempotentReply,
    "tombstone": Tombstone,
}


@pytest.fixture
def home(world):
    return world.household(
        "A1", advisor=world.adv_a, persons=[world.person_data(), world.person_data(male=False)]
    )


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def prune_all(session) -> sync_prune.PruneCounts:
    """Prune everything written so far, in batches, as the command does."""
    before, total = datetime.now(UTC) + timedelta(seconds=1), sync_prune.PruneCounts()
    while True:
        with unit_of_work(session):
            counts = sync_prune.prune_batch(session, before=before, limit=2)
        total.add(counts)
        if counts.total == 0:
            return total


def rows(session) -> dict[str, int]:
    session.commit()
    found = {
        name: session.scalar(select(func.count()).select_from(model))
        for name, model in {**TABLES, "visit": Visit}.items()
    }
    session.commit()
    return found


def delete_member(session, household) -> uuid.UUID:
    """Delete one member on the server (a tombstone); its id."""
    person = household.persons[1]
    session.delete(person)
    session.commit()
    return person.id


def test_a_replayed_visit_after_the_prune_is_a_duplicate_never_a_second_row(tablet, home, session):
    vid = uuid.uuid4()
    push = [tablet.mutation("visit", vid, visit_data(home))]
    [first] = tablet.push(push, key="k1")
    assert first["status"] == "applied"

    pruned = prune_all(session)
    assert pruned.rows == {"device_mutation": 1, "idempotent_reply": 1, "tombstone": 0}

    # The very same request again (a response lost before the prune): refused by id.
    [again] = tablet.push(push, key="k1")
    assert again["status"] == "rejected" and again["reason"] == "stale_mutation_id"
    assert again["high_water"] == 1
    # Renumbered above the mark, as the client does: the record is known by its UUID.
    [renumbered] = tablet.push([{**push[0], "mutation_id": 2}])
    assert renumbered["status"] == "duplicate" and renumbered["version"] == first["version"]
    assert rows(session)["visit"] == 1


def test_a_replayed_household_edit_after_the_prune_changes_nothing(tablet, home, session, world):
    edit = tablet.mutation(
        "household", home.id, {"phone": "13900001111"}, op="update", base_version=home.version
    )
    [first] = tablet.push([edit])
    assert first["status"] == "applied"
    session.expire_all()
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    prune_all(session)

    [again] = tablet.push([edit])
    assert again["reason"] == "stale_mutation_id"
    [renumbered] = tablet.push([{**edit, "mutation_id": 2}])

    # Merged again against its base: the same value, so no change, no new version, no trail.
    assert renumbered["status"] == "applied" and renumbered["version"] == first["version"]
    session.expire_all()
    assert session.get(Household, home.id).phone == "13900001111"
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_replayed_household_edit_never_overwrites_a_later_change(
    tablet, home, session, world, client, token_of
):
    edit = tablet.mutation(
        "household", home.id, {"phone": "13900001111"}, op="update", base_version=home.version
    )
    tablet.push([edit])
    client.patch(
        f"/api/v1/households/{home.id}",
        json={"phone": "020-88880000"},
        headers=token_of(world.sup_a),
    )
    prune_all(session)

    [renumbered] = tablet.push([{**edit, "mutation_id": 2}])

    assert renumbered["status"] == "conflict" and renumbered["fields"] == ["phone"]
    session.expire_all()
    assert session.get(Household, home.id).phone == "020-88880000"


def test_a_cursor_from_before_a_pruned_tombstone_must_pull_from_the_start(
    tablet, home, session, world, client
):
    tablet.pull()
    old_cursor = tablet.cursor
    gone = delete_member(session, home)
    version = session.scalar(select(Tombstone.version).where(Tombstone.entity_id == gone))

    pruned = prune_all(session)

    assert pruned.rows["tombstone"] == 1 and pruned.pruned_through == version
    assert session.scalar(select(SyncCounter.pruned_through)) == version
    response = client.get(
        "/api/v1/sync/pull", headers=tablet.headers, query_string={"cursor": old_cursor}
    )
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]["query"]
    # From the start, page by page (every page's cursor starts its run at 0), it is served.
    tablet.cursor = ""
    changes = tablet.pull(limit=1)
    assert {c["id"] for c in changes if c["entity"] == "person"} == {str(home.persons[0].id)}
    # A cursor issued after the prune is served as before.
    assert tablet.pull() == []


def test_a_cursor_newer_than_the_pruned_tombstones_is_served(tablet, home, session, client):
    delete_member(session, home)
    tablet.pull()
    prune_all(session)
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])
    assert [c["entity"] for c in tablet.pull()] == ["visit"]


def test_the_prune_keeps_what_is_newer_than_the_cutoff_and_the_marks(tablet, home, session):
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])
    delete_member(session, home)
    old = datetime.now(UTC) - timedelta(days=100)
    for model in TABLES.values():
        session.execute(update(model).values(at=old))
    session.commit()
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])  # today's

    with unit_of_work(session):
        counts = sync_prune.prune_batch(
            session, before=datetime.now(UTC) - timedelta(days=90), limit=100
        )

    assert counts.rows == {"device_mutation": 1, "idempotent_reply": 1, "tombstone": 1}
    assert rows(session) == {
        "device_mutation": 1,
        "idempotent_reply": 1,
        "tombstone": 0,
        "visit": 2,
    }
    # The tablet's mark (device_sync) is kept: an old id is still refused, not taken as new.
    [stale] = tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=1)])
    assert stale["reason"] == "stale_mutation_id" and stale["high_water"] == 2


def test_a_dry_run_counts_and_changes_nothing(tablet, home, session):
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])
    delete_member(session, home)
    before = rows(session)

    with unit_of_work(session):
        counts = sync_prune.count_prunable(session, before=datetime.now(UTC) + timedelta(1))

    assert counts.rows == {"device_mutation": 1, "idempotent_reply": 1, "tombstone": 1}
    assert counts.pruned_through > 0
    assert rows(session) == before
    assert session.scalar(select(SyncCounter.pruned_through)) == 0


def test_batches_remove_everything_a_few_rows_at_a_time(tablet, home, session):
    for _ in range(5):
        tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])
    total = prune_all(session)
    assert total.rows == {"device_mutation": 5, "idempotent_reply": 5, "tombstone": 0}
    assert rows(session) == {
        "device_mutation": 0,
        "idempotent_reply": 0,
        "tombstone": 0,
        "visit": 5,
    }


def test_a_batch_needs_a_positive_limit(session):
    with pytest.raises(ValueError, match="limit"):
        sync_prune.prune_batch(session, before=datetime.now(UTC), limit=0)
