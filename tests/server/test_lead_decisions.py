"""A supervisor's decision on a lead: confirm into monitoring (a household enrolled through
the enrol service) or decline with a reason; field errors write nothing; scope is 404."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Household, Lead
from server.services.core.errors import Conflict, Invalid, NotFound
from server.services.core.transaction import unit_of_work
from server.services.leads import decisions
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW
from tests.server import idnumbers
from tests.server.sync_helpers import Tablet
from tests.server.test_leads import push_lead


@pytest.fixture
def lead(world, client, session) -> Lead:
    """A lead advisor A pushed from the field (street A's queue)."""
    lead_id = uuid.uuid4()
    assert push_lead(Tablet(client, world.adv_a), lead_id)["status"] == "applied"
    return session.get(Lead, lead_id)


def form(world, **extra) -> dict:
    return {
        "external_id": "LD0001",
        "categories": ["tekun"],
        "hardship_level": "high",
        "registration_community_id": world.community["A1"].id,
        "residence_community_id": None,
        "advisor_id": None,
        "id_number": idnumbers.make(date(1948, 3, 2), False),
        "health": "chronic",
        "labour_capacity": "none",
        "employment": "not_applicable",
        **extra,
    }


def confirm(session, actor, lead, values):
    with unit_of_work(session):
        return decisions.confirm_lead(
            session, actor=actor, lead_id=lead.id, form=values, now=NOW, tz=DEFAULT_TZ
        )


def test_confirming_enrols_the_household_for_the_leads_advisor(world, lead, session):
    household = confirm(session, world.sup_a, lead, form(world))

    assert household.assigned_advisor_id == world.adv_a.id
    assert (household.head_name, household.residence_address) == (
        lead.head_name,
        lead.residence_address,
    )
    assert (household.registration_community_id, household.residence_community_id) == (
        world.community["A1"].id,
        world.community["A1"].id,
    )
    assert household.categories == ["tekun"] and household.hardship_level == "high"
    [head] = household.persons
    assert (head.relation, head.gender, head.birth_date) == ("head", "female", date(1948, 3, 2))
    session.refresh(lead)
    assert (lead.status, lead.household_id, lead.decided_by_id) == (
        "confirmed",
        household.id,
        world.sup_a.id,
    )
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(lead.id)))
    )
    assert {"sync_create", "confirm"} <= actions


def test_another_advisor_may_be_chosen(world, lead, session):
    other = world.user("advisor", world.community["A2"])
    household = confirm(session, world.sup_a, lead, form(world, advisor_id=other.id))
    assert household.assigned_advisor_id == other.id


def _taken_number(world):
    person = world.person_data(birth=date(1950, 1, 1))
    world.household("A2", persons=[person])
    return person["id_number"]


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda w: {"external_id": w.household("A2").external_id}, "external_id"),
        (lambda w: {"id_number": _taken_number(w)}, "id_number"),
        (lambda w: {"id_number": "110101194803021234"}, "id_number"),
        (lambda w: {"categories": []}, "categories"),
        (lambda w: {"hardship_level": "extreme"}, "hardship_level"),
        (
            lambda w: {"registration_community_id": w.community["B1"].id},
            "registration_community_id",
        ),
        (lambda w: {"advisor_id": w.adv_b.id}, "advisor_id"),
        (lambda w: {"health": None}, "health"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(world, lead, session, change, field):
    values = form(world, **change(world))
    before = session.scalar(select(func.count()).select_from(Household))
    with pytest.raises(Invalid) as caught:
        confirm(session, world.sup_a, lead, values)
    assert field in caught.value.errors, caught.value.errors
    assert session.scalar(select(func.count()).select_from(Household)) == before
    session.refresh(lead)
    assert lead.status == "new" and lead.household_id is None


def test_declining_keeps_the_reason(world, lead, session):
    with unit_of_work(session):
        decisions.decline_lead(
            session, actor=world.sup_a, lead_id=lead.id, reason="已纳入低保，重复上报", now=NOW
        )
    session.refresh(lead)
    assert (lead.status, lead.decision_reason) == ("dismissed", "已纳入低保，重复上报")
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(lead.id), AuditEvent.action == "decline"
        )
    )
    assert event.diff["decision_reason"] == [None, "已纳入低保，重复上报"]


@pytest.mark.parametrize("reason", ["", " ", "x" * 2001])
def test_a_decline_needs_a_reason(world, lead, session, reason):
    with pytest.raises(Invalid) as caught:
        decisions.decline_lead(session, actor=world.sup_a, lead_id=lead.id, reason=reason, now=NOW)
    assert list(caught.value.errors) == ["reason"]


def test_a_decided_lead_cannot_be_decided_again(world, lead, session):
    confirm(session, world.sup_a, lead, form(world))
    with pytest.raises(Conflict):
        decisions.decline_lead(session, actor=world.sup_a, lead_id=lead.id, reason="重复", now=NOW)
    with pytest.raises(Conflict):
        confirm(session, world.sup_a, lead, form(world, external_id="LD0002"))


def test_another_streets_supervisor_sees_no_such_lead(world, lead, session):
    with pytest.raises(NotFound):
        decisions.get_lead(session, world.sup_b, lead.id)
    with pytest.raises(NotFound):
        confirm(session, world.sup_b, lead, form(world))
    with pytest.raises(NotFound):
        decisions.decline_lead(
            session, actor=world.sup_b, lead_id=lead.id, reason="不属实", now=NOW
        )
    assert decisions.get_lead(session, world.sup_district, lead.id).id == lead.id


def test_the_confirmed_household_reaches_the_advisors_tablet(world, lead, client, session):
    tablet = Tablet(client, world.adv_a)
    tablet.pull()
    household = confirm(session, world.sup_a, lead, form(world))
    changes = tablet.pull()
    pulled = {(c["entity"], c["id"]) for c in changes}
    assert ("household", str(household.id)) in pulled
    assert ("person", str(household.persons[0].id)) in pulled
