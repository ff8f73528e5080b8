"""Moving households between advisors: the preview, the move (one transaction, one audit
operation), scope and assignee rules, and the handover view of the old tablets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, CaseloadAssignment, Device, Household
from server.services.caseload import handover
from server.services.core.errors import Conflict, Invalid, NotFound
from server.services.core.transaction import unit_of_work
from tests.factories import NOW, token_for


@pytest.fixture
def homes(world):
    """Advisor A holds three households of street A and a 人户分离 one living in B;
    a second advisor of street A (adv_a2) takes them over."""
    world.adv_a2 = world.user("advisor", world.street_a)
    held = [world.household("A1", advisor=world.adv_a) for _ in range(2)]
    held.append(world.household("A2", advisor=world.adv_a))
    held.append(world.household("A1", "B1", advisor=world.adv_a))
    return held


def _tablet(session, user, name, pending=None, seen=None):
    token_for(session, user, device_id=name)
    device = session.scalar(select(Device).where(Device.device_id == name))
    with unit_of_work(session):
        device.pending_count, device.last_seen_at, device.reported_at = pending, seen, seen
    return device


def _move(kind, source, to) -> handover.MoveRequest:
    return handover.MoveRequest(kind=kind, source=str(source), to_advisor_id=to.id)


def test_the_preview_shows_households_tablets_and_unsent_records(world, homes, session):
    _tablet(session, world.adv_a, "old-1", pending=3, seen=NOW)
    _tablet(session, world.adv_a, "old-2", pending=0, seen=NOW)
    _tablet(session, world.adv_b, "other", pending=9, seen=NOW)

    plan = handover.preview(session, world.sup_a, _move("advisor", world.adv_a.id, world.adv_a2))

    assert {h.id for h in plan.households} == {h.id for h in homes}
    assert plan.from_advisors == [(world.adv_a, 4)]
    assert sorted(d.device_id for d in plan.devices) == ["old-1", "old-2"]
    assert plan.unsent == 3
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "reassign")
        )
        == 0
    )  # nothing written


def test_the_move_is_one_operation_listing_the_households(world, homes, session):
    with unit_of_work(session):
        plan = handover.move(
            session,
            world.sup_a,
            _move("advisor", world.adv_a.id, world.adv_a2),
            expected=4,
            now=NOW + timedelta(days=1),
        )
    assert len(plan.households) == 4
    ids = {h.id for h in homes}
    holders = set(
        session.scalars(select(Household.assigned_advisor_id).where(Household.id.in_(ids)))
    )
    assert holders == {world.adv_a2.id}
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "reassign"))
    assert set(event.diff["households"][1]) == {str(i) for i in ids}
    assert event.diff["from_advisor_ids"][1] == [world.adv_a.id]
    assert event.actor_id == world.sup_a.id
    assigns = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "assign", AuditEvent.actor_id == world.sup_a.id)
    )
    assert assigns == 4
    still_open = session.scalars(
        select(CaseloadAssignment.advisor_id).where(
            CaseloadAssignment.household_id.in_(ids), CaseloadAssignment.ended_at.is_(None)
        )
    ).all()
    assert sorted(still_open) == [world.adv_a2.id] * 4


def test_a_community_moves_with_the_separated_households_registered_there(world, homes, session):
    plan = handover.preview(
        session, world.sup_a, _move("community", world.community["A1"].id, world.adv_a2)
    )
    assert {h.id for h in plan.households} == {homes[0].id, homes[1].id, homes[3].id}


def test_one_household_moves_by_its_number(world, homes, session):
    plan = handover.preview(
        session, world.sup_a, _move("household", homes[2].external_id, world.adv_a2)
    )
    assert [h.id for h in plan.households] == [homes[2].id]


def test_a_caseload_that_changed_since_the_preview_is_refused_whole(world, homes, session):
    world.household("A1", advisor=world.adv_a)  # one more since the preview showed 4
    with pytest.raises(Conflict), unit_of_work(session):
        handover.move(
            session,
            world.sup_a,
            _move("advisor", world.adv_a.id, world.adv_a2),
            expected=4,
            now=NOW,
        )
    holders = set(session.scalars(select(Household.assigned_advisor_id)))
    assert holders == {world.adv_a.id}


def test_the_new_advisor_must_work_in_a_street_of_every_household(world, homes, session):
    # adv_b works in street B: the 人户分离 household (living in B) could go, the rest not.
    with pytest.raises(Invalid) as caught:
        handover.preview(session, world.sup_district, _move("advisor", world.adv_a.id, world.adv_b))
    assert caught.value.errors == {
        "to_advisor": ["Not an advisor of the registration or residence street."]
    }
    plan = handover.preview(
        session, world.sup_district, _move("household", homes[3].external_id, world.adv_b)
    )
    assert len(plan.households) == 1


def test_an_advisor_of_another_street_is_no_choice(world, homes, session):
    with pytest.raises(Invalid) as caught:
        handover.preview(
            session, world.sup_a, _move("household", homes[0].external_id, world.adv_b)
        )
    assert "to_advisor" in caught.value.errors


def test_a_deactivated_advisor_is_no_choice(world, homes, session):
    with unit_of_work(session):
        world.adv_a2.active = False
    with pytest.raises(Invalid):
        handover.preview(session, world.sup_a, _move("advisor", world.adv_a.id, world.adv_a2))


@pytest.mark.parametrize(
    "kind, source",
    [
        ("advisor", lambda w, h: w.adv_a.id),
        ("community", lambda w, h: w.community["A1"].id),
        ("household", lambda w, h: h[0].external_id),
        ("household", lambda w, h: "no-such-number"),
        ("community", lambda w, h: "x"),
    ],
)
def test_street_b_cannot_move_street_a(world, homes, session, kind, source):
    with pytest.raises(NotFound):
        handover.preview(session, world.sup_b, _move(kind, source(world, homes), world.adv_b))


def test_nothing_to_move_is_a_field_error(world, homes, session):
    with pytest.raises(Invalid) as caught:
        handover.preview(session, world.sup_a, _move("advisor", world.adv_a2.id, world.adv_a))
    assert caught.value.errors == {"source": ["No households to move."]}


def test_the_handover_view_tells_cleared_from_holding_and_silent_tablets(world, homes, session):
    moved_at = NOW + timedelta(days=1)
    cleared = _tablet(session, world.adv_a, "cleared")
    holding = _tablet(session, world.adv_a, "holding")
    silent = _tablet(session, world.adv_a, "silent", pending=0, seen=NOW)
    for device in (cleared, holding, silent):
        device.issued_at = NOW
    with unit_of_work(session):
        handover.move(
            session,
            world.sup_a,
            _move("advisor", world.adv_a.id, world.adv_a2),
            expected=4,
            now=moved_at,
        )
    with unit_of_work(session):
        cleared.pending_count, cleared.reported_at = 0, moved_at + timedelta(hours=2)
        holding.pending_count, holding.reported_at = 2, moved_at + timedelta(hours=2)
        # Seen after the move, but its last outbox report is older: not known to be clear.
        silent.last_seen_at = moved_at + timedelta(minutes=1)

    [move] = handover.recent_handovers(session, world.sup_a, now=moved_at + timedelta(hours=3))
    states = {t.device.device_id: t.state for t in move.tablets}
    assert states == {"cleared": "cleared", "holding": "holding", "silent": "not_synced"}
    assert move.count == 4 and not move.cleared
    # Street B sees the move for the 人户分离 household living there; not one of A only.
    with unit_of_work(session):
        handover.move(
            session,
            world.sup_a,
            _move("household", homes[2].external_id, world.adv_a),
            expected=1,
            now=moved_at + timedelta(hours=1),
        )
    assert len(handover.recent_handovers(session, world.sup_a, now=moved_at)) == 2
    [seen_by_b] = handover.recent_handovers(session, world.sup_b, now=moved_at)
    assert seen_by_b.event.id == move.event.id
    assert len(handover.recent_handovers(session, world.sup_district, now=moved_at)) == 2
    assert handover.recent_handovers(session, world.admin, now=moved_at + timedelta(days=31)) == []


def test_caseload_sizes_count_the_households_in_scope(world, homes, session):
    sizes = dict(handover.caseload_sizes(session, world.sup_a))
    assert sizes[world.adv_a] == 4 and sizes[world.adv_a2] == 0
    assert dict(handover.caseload_sizes(session, world.sup_b)) == {world.adv_b: 0}
