"""The household service's checks that every caller shares (API PATCH and the console):
an override that would already have expired, the version a change was based on, and the
audit of a file's export."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Household
from server.services.core.errors import Conflict, Invalid, NotFound
from server.services.core.transaction import unit_of_work
from server.services.households import household_file, households
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW


def _override(expires: str) -> dict:
    return {"cycle_override": {"cycle": "monthly", "reason": "出院观察", "expires_on": expires}}


def test_the_api_refuses_an_override_that_has_already_expired(world, client, token_of):
    household = world.household()
    response = client.patch(
        f"/api/v1/households/{household.id}",
        json=_override("2020-01-31"),
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "cycle_override": {"expires_on": ["Must not be in the past."]}
    }


def test_an_override_expiring_today_is_taken(world, session):
    household = world.household()
    # NOW is 10:00 in Beijing: its local date is its UTC date.
    with unit_of_work(session):
        households.update_household(
            session,
            actor=world.sup_a,
            household_id=household.id,
            changes=_override(NOW.date().isoformat()),
            now=NOW,
            tz=DEFAULT_TZ,
        )
    assert household.visit_cycle == "monthly"


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_change_based_on_another_version_is_a_conflict(world, session, offset):
    household = world.household()
    seen = household.version
    with pytest.raises(Conflict), unit_of_work(session):
        households.update_household(
            session,
            actor=world.sup_a,
            household_id=household.id,
            changes={"hardship_level": "high"},
            now=NOW,
            tz=DEFAULT_TZ,
            base_version=seen + offset,
        )
    session.expire_all()
    assert session.get(Household, household.id).hardship_level == "medium"


def test_a_change_based_on_the_current_version_applies(world, session):
    household = world.household()
    with unit_of_work(session):
        households.update_household(
            session,
            actor=world.sup_a,
            household_id=household.id,
            changes={"hardship_level": "high"},
            now=NOW,
            tz=DEFAULT_TZ,
            base_version=household.version,
        )
    assert household.hardship_level == "high"


def test_refusals_are_checked_before_anything_is_written(world, session):
    household = world.household("A1")
    with pytest.raises(Invalid), unit_of_work(session):
        households.update_household(
            session,
            actor=world.sup_a,
            household_id=household.id,
            changes={"assigned_advisor_id": world.adv_a.id, **_override("2020-01-31")},
            now=NOW,
            tz=DEFAULT_TZ,
        )
    session.expire_all()
    assert session.get(Household, household.id).assigned_advisor_id is None


def test_an_export_is_audited_only_within_scope(world, session):
    household = world.household("A1")
    with pytest.raises(NotFound), unit_of_work(session):
        household_file.record_export(session, world.sup_b, household.id, fmt="pdf", now=NOW)
    with unit_of_work(session):
        household_file.record_export(session, world.sup_a, household.id, fmt="pdf", now=NOW)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.actor_id, e.diff) for e in events] == [(world.sup_a.id, {"format": [None, "pdf"]})]
