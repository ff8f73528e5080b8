"""Field work across a handover, end to end through the real client, store and server
(issue 16 cases 3 and 4): nothing is dropped because the office moved a household."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mobile import records as mobile_records
from server.models import AuditEvent, Visit
from tests.factories import visit_form


@pytest.fixture
def office(client, session, token_of, world):
    """The street office acting through the API, as supervisor A (see test_client.py)."""
    headers = token_of(world.sup_a)

    def call(method: str, url: str, **kwargs):
        response = client.open(url, method=method, headers=headers, **kwargs)
        session.commit()
        assert response.status_code == 200, response.get_json()
        return response

    return call


def _move(office, home, to) -> None:
    office("PATCH", f"/api/v1/households/{home.id}", json={"assigned_advisor_id": to.id})


def test_a_visit_made_after_a_move_the_tablet_had_not_heard_of_is_kept(
    world, make_client, office, session
):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    _move(office, home, world.user("advisor", world.street_a))
    # Offline, after the move: the tablet cannot know the household left.
    saved = tablet.store.save_visit(visit_form(home, when=datetime.now(UTC)))

    report = tablet.sync()

    assert report.pushed == {"applied": 1}
    session.expire_all()
    stored = session.get(Visit, uuid.UUID(saved["id"]))
    assert (stored.flag, stored.advisor_id) == ("left_caseload", world.adv_a.id)
    assert tablet.store.household(str(home.id)) is None  # pushed, then the tombstone
    assert tablet.store.attention_items() == []


def test_a_refused_visit_stays_until_discarded_and_the_discard_is_reported(
    world, make_client, office, session
):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    draft = tablet.store.save_visit(visit_form(home), draft=True)  # keeps the household here
    _move(office, home, world.user("advisor", world.street_a))
    tablet.sync()  # the tombstone waits for the draft
    tablet.sync()  # this pull's cursor tells the server the tablet has the move
    made = tablet.store.save_visit(visit_form(home, when=datetime.now(UTC) + timedelta(seconds=1)))

    report = tablet.sync()

    assert report.pushed == {"rejected": 1}
    (item,) = tablet.store.attention_items()
    assert item["reason"] == "not_in_caseload"
    # Nothing is deleted while the refusal waits for the advisor, however often it syncs.
    tablet.sync()
    assert tablet.store.record("visit", made["id"])["local_state"] == "attention"
    assert tablet.store.household(str(home.id)) is not None

    assert tablet.store.dismiss_attention(item["id"]) is True  # the confirmed discard
    assert tablet.store.record("visit", made["id"]) is None
    assert tablet.sync().discards == 1
    assert tablet.store.discard_reports() == []
    session.expire_all()
    assert session.get(Visit, uuid.UUID(made["id"])) is None
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "discard_on_tablet"))
    assert event.entity_id == made["id"] and event.actor_id == world.adv_a.id
    assert event.diff["record"][0]["visited_at"] == made["visited_at"]  # the last copy
    assert event.diff["reason"] == [None, "not_in_caseload"]
    # The draft is the advisor's own to throw away; then the household goes.
    tablet.store.discard_draft("visit", draft["id"])
    assert tablet.store.household(str(home.id)) is None


def test_an_old_returned_visit_reaches_and_is_corrected_by_the_new_holder(
    world, make_client, office, session
):
    home = world.household("A1", advisor=world.adv_a)
    first = make_client(world.adv_a, "first")
    first.sync()
    start = datetime.now(UTC) - timedelta(days=60)
    old = first.store.save_visit(visit_form(home, when=start))
    for day in range(1, 13):
        first.store.save_visit(visit_form(home, when=start + timedelta(days=day)))
    first.sync()
    assert first.store.record("visit", old["id"]) is None  # 13th newest: history pruned
    office("POST", f"/api/v1/visits/{old['id']}/return", json={"comment": "请补充收入"})

    first.sync()

    # (a) Returned: it stays on the tablet however old it is.
    assert first.store.record("visit", old["id"])["status"] == "returned"
    # (b) The household moves; the new holder receives it and may correct it.
    successor = world.user("advisor", world.street_a)
    _move(office, home, successor)
    second = make_client(successor, "second")
    second.sync()
    returned = second.store.record("visit", old["id"])
    assert returned["status"] == "returned"
    assert [r["id"] for r in mobile_records.returned(second.store)] == [old["id"]]
    second.store.save_visit({**returned, "notes": "已补充：月收入约1500元"})
    assert second.sync().pushed == {"applied": 1}
    session.expire_all()
    stored = session.get(Visit, uuid.UUID(old["id"]))
    assert (stored.status, stored.advisor_id, stored.corrected_by_id) == (
        "resubmitted",
        world.adv_a.id,
        successor.id,
    )
    session.commit()  # end the read: on SQLite the live server's pull writes its cursor note
    first.sync()
    assert first.store.household(str(home.id)) is None
