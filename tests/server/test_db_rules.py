"""The database rules behind the row locks, on both databases: one open assignment per
household, one active household per ID number, field_versions merged per key."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from server.models import CaseloadAssignment, Household, Person
from server.services.core.transaction import unit_of_work
from server.services.households import identity
from tests.server.test_households import _enrolment


def test_a_second_open_assignment_is_a_409_in_the_error_shape(world, client, token_of, session):
    """The backstop behind the household lock: an open assignment the service did not
    see (here: left by an inconsistent row) is refused by the index, never a 500."""
    home = world.household("A1", advisor=world.adv_a)
    session.execute(
        update(Household).where(Household.id == home.id).values(assigned_advisor_id=None)
    )
    session.commit()
    response = client.patch(
        f"/api/v1/households/{home.id}",
        json={"assigned_advisor_id": world.adv_a.id},
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["errors"] == {
        "assigned_advisor_id": ["Reassigned meanwhile; reload and try again."]
    }


def test_two_open_assignments_of_one_household_cannot_be_stored(world, session):
    home = world.household("A1", advisor=world.adv_a)
    session.add(CaseloadAssignment(household_id=home.id, advisor_id=world.adv_a.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def _member_of(session, world, household: Household, number: str) -> Person:
    values = world.person_data(id_number=number, relation="spouse")
    person = Person(**values, household_id=household.id, household_status=household.status)
    session.add(person)
    return person


def test_an_id_number_is_in_one_active_household_only(world, session):
    first = world.household("A1")
    number = first.persons[0].id_number
    second = world.household("A1")
    _member_of(session, world, second, number)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    # Closing the first household frees the number (its members' copy follows, by cascade)…
    with unit_of_work(session):
        session.get(Household, first.id).status = "closed"
    session.expire_all()
    assert session.get(Person, first.persons[0].id).household_status == "closed"
    with unit_of_work(session):
        _member_of(session, world, session.get(Household, second.id), number)
    # …and reopening it would make two active households hold the person.
    with pytest.raises(IntegrityError):
        with unit_of_work(session):
            session.get(Household, first.id).status = "active"


def test_the_index_answers_with_the_checks_own_message(world, client, token_of, monkeypatch):
    """Check-then-insert: when the service check misses a concurrent enrolment (the race
    itself is tests/reliability/test_row_locks.py), the index refuses it with the same
    field message — a 422, never a 500."""
    first = world.household("A1")
    body = _enrolment(world)
    body["persons"][0].update(
        id_number=first.persons[0].id_number, birth_date="1960-05-01", gender="male"
    )
    real, calls = identity.id_number_errors, []

    def missed_once(session, persons):
        calls.append(1)
        return {} if len(calls) == 1 else real(session, persons)

    monkeypatch.setattr(identity, "id_number_errors", missed_once)
    response = client.post("/api/v1/households", json=body, headers=token_of(world.sup_a))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {
        "persons": {"0": {"id_number": [identity.ENROLLED_ELSEWHERE]}}
    }


def test_field_versions_are_merged_per_key_onto_the_stored_ones(world, session):
    """Case 6 (its stamp half): a key another writer stored after this transaction read
    the row is kept, not overwritten by the whole dict of that earlier read."""
    home = world.household("A1", advisor=world.adv_a)
    assert home.field_versions == {}
    table = Household.__table__  # Core: the loaded object is not told
    session.connection().execute(
        update(table).where(table.c.id == home.id).values(field_versions={"phone": 99})
    )
    home.notes = "门口有狗"  # the loaded copy still says {}
    session.commit()
    session.expire_all()
    stored = session.get(Household, home.id)
    assert stored.field_versions == {"phone": 99, "notes": stored.version}
