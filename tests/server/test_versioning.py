"""Commit-ordered versions: one counter, advanced once per writing transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Household, Person, SyncCounter, Tombstone
from server.services.sync.versioning import next_versions, stamp
from tests.locking import Racer, backend_pid, wait_until_blocked


def counter(session) -> int:
    return session.scalar(select(SyncCounter.value))


def test_a_transaction_stamps_each_row_from_one_contiguous_range(world, session):
    before = counter(session)
    household = world.household(persons=[world.person_data(), world.person_data(male=False)])
    rows = [household, *household.persons]
    versions = sorted(r.version for r in rows)
    assert versions == list(range(before + 1, before + 4))
    assert counter(session) == before + 3


def test_an_update_moves_the_row_past_every_earlier_version(world, session):
    first = world.household()
    second = world.household()
    assert second.version > first.version
    first.phone = "020-12345678"
    session.commit()
    assert first.version > second.version
    assert first.version == counter(session)


def test_an_unchanged_row_keeps_its_version(world, session):
    household = world.household()
    version = household.version
    household.phone = household.phone  # no real change
    session.commit()
    assert household.version == version


def test_rollback_takes_no_versions(world, session):
    before = counter(session)
    session.add(Household(**_household_columns(world)))
    session.flush()
    session.rollback()
    assert counter(session) == before


def test_rows_of_a_rolled_back_savepoint_are_not_counted(world, session):
    kept = world.household_data()
    before = counter(session)
    with session.begin_nested():
        session.add(Household(**_household_columns(world)))
    savepoint = session.begin_nested()
    session.add(Household(**_household_columns(world)))
    session.flush()
    savepoint.rollback()
    session.commit()
    assert counter(session) == before + 1
    assert kept  # the factory still works after the rollback
    assert (
        session.scalar(select(Household.version).order_by(Household.version.desc())) == before + 1
    )


def test_writes_without_versioned_rows_leave_the_counter_alone(world, session):
    before = counter(session)
    world.user("advisor", world.street_a)
    assert counter(session) == before


def test_deleting_a_person_leaves_a_stamped_tombstone(world, session):
    household = world.household()
    person = household.persons[0]
    before = counter(session)
    session.delete(person)
    session.commit()
    assert session.scalar(select(Person.id)) is None
    tombstone = session.scalar(select(Tombstone))
    assert (tombstone.entity, tombstone.entity_id, tombstone.household_id) == (
        "person",
        person.id,
        household.id,
    )
    assert tombstone.version == before + 1 == counter(session)


def test_advisor_editable_fields_record_the_version_they_changed_at(world, session):
    household = world.household()
    assert household.field_versions == {}
    household.phone = "020-1"
    session.commit()
    first = household.version
    household.latitude, household.longitude = 23.1, 113.2
    household.hardship_level = "high"
    session.commit()
    assert household.field_versions == {"phone": first, "location": household.version}


def test_an_early_stamp_is_not_counted_twice(world, session):
    household = world.household()
    household.notes = "early"
    stamp(session)
    early = household.version
    session.commit()
    assert household.version == early == counter(session)


def _household_columns(world) -> dict:
    data = world.household_data()
    data.pop("assigned_advisor_id")
    return {**data, "visit_cycle": "quarterly"}


@pytest.mark.postgres_only
@pytest.mark.usefixtures("world")
def test_the_counter_lock_orders_concurrent_writers_by_commit(app):
    """A second writer cannot take a number until the first commits (PostgreSQL)."""
    with Session(db.engine) as first:
        taken_first = next_versions(first, 1)
        second = Racer(db.engine, lambda s: next_versions(s, 1)).start()
        wait_until_blocked(db.engine, backend_pid(first), second)
        first.commit()
        assert second.join() == taken_first + 1
