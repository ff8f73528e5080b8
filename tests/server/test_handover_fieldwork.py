"""Field work across a handover on the server (issue 16 cases 3 and 4): what each tablet has
pulled, records made before it knew of a move, discard reports, the holder's corrections,
returned records in the pull bundle and the handover preview."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent, DeviceSync, Visit
from server.services.caseload import handover
from server.services.core.transaction import unit_of_work
from server.services.review import queue, workflow
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


@pytest.fixture
def successor(world):
    return world.user("advisor", world.street_a)


def move_household(client, token_of, world, home, to) -> None:
    response = client.patch(
        f"/api/v1/households/{home.id}",
        json={"assigned_advisor_id": to.id},
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 200, response.get_json()


def return_visit(session, world, visit_id, comment="请补充收入情况") -> None:
    with unit_of_work(session):
        workflow.return_record(
            session,
            actor=world.sup_a,
            entity="visit",
            record_id=visit_id,
            comment=comment,
            now=datetime.now(UTC),
        )


def test_the_server_notes_how_far_each_tablet_has_pulled(tablet, home, session, world):
    tablet.pull()
    assert session.get(DeviceSync, (world.adv_a.id, tablet.device_id)) is None  # not yet proven
    tablet.pull()  # this request's cursor proves the first run was applied
    mark = session.get(DeviceSync, (world.adv_a.id, tablet.device_id))
    assert mark.pulled_through >= home.version > 0 and mark.pulled_at is not None
    before = mark.pulled_through
    tablet.pull_page(cursor="")  # a pull from the start never lowers it
    session.expire_all()
    assert session.get(DeviceSync, (world.adv_a.id, tablet.device_id)).pulled_through == before


def test_a_visit_made_after_a_move_the_tablet_never_pulled_is_kept_and_flagged(
    tablet, home, client, token_of, world, successor, session
):
    tablet.pull()
    move_household(client, token_of, world, home, successor)
    vid = uuid.uuid4()
    when = datetime.now(UTC)  # after the move

    [result] = tablet.push([tablet.mutation("visit", vid, visit_data(home, when=when))])

    assert result["status"] == "applied"
    assert session.get(Visit, vid).flag == "left_caseload"


def test_a_visit_made_after_the_tablet_pulled_the_move_is_refused(
    tablet, home, client, token_of, world, successor
):
    move_household(client, token_of, world, home, successor)
    tablet.pull()
    tablet.pull()
    when = datetime.now(UTC) + timedelta(seconds=1)

    [result] = tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home, when=when))])

    assert (result["status"], result["reason"]) == ("rejected", "not_in_caseload")


def test_another_advisor_never_gets_a_record_in_by_the_pull_rule(world, client, home):
    stranger = Tablet(client, world.adv_b)  # never held the household
    [result] = stranger.push([stranger.mutation("visit", uuid.uuid4(), visit_data(home))])
    assert result["reason"] == "not_in_caseload"


def _discard_body(tablet, record_id, home, **extra) -> dict:
    report = {
        "id": str(uuid.uuid4()),
        "entity": "visit",
        "record_id": str(record_id),
        "household_id": str(home.id),
        "reason": "not_in_caseload",
        "record": {"notes": "最后一份"},
        "discarded_at": datetime.now(UTC).isoformat(),
        **extra,
    }
    return {"device_id": tablet.device_id, "discards": [report]}


def test_a_discard_report_is_recorded_once(tablet, home, client, session, world):
    body = _discard_body(tablet, uuid.uuid4(), home)
    for _ in range(2):  # the answer was lost: the tablet sends it again
        response = client.post("/api/v1/sync/discards", json=body, headers=tablet.headers)
        assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"recorded": 0}
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "discard_on_tablet"))
    assert (event.actor_id, event.device_id) == (world.adv_a.id, tablet.device_id)
    assert event.diff["record"] == [{"notes": "最后一份"}, None]


def test_a_bad_discard_report_gets_the_one_error_shape(tablet, home, client):
    body = _discard_body(tablet, uuid.uuid4(), home, entity="household", discarded_at="today")
    response = client.post("/api/v1/sync/discards", json=body, headers=tablet.headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["discards"]["0"]
    assert set(errors) == {"entity", "discarded_at"}
    other = client.post(
        "/api/v1/sync/discards",
        json={**_discard_body(tablet, uuid.uuid4(), home), "device_id": "not-mine"},
        headers=tablet.headers,
    )
    assert other.status_code == 403


def test_the_new_holder_receives_an_old_returned_visit_and_may_correct_it(
    tablet, home, client, token_of, world, successor, session
):
    start = datetime.now(UTC) - timedelta(days=60)
    old = uuid.uuid4()
    mutations = [tablet.mutation("visit", old, visit_data(home, when=start))]
    for day in range(1, 13):
        when = start + timedelta(days=day)
        mutations.append(tablet.mutation("visit", uuid.uuid4(), visit_data(home, when=when)))
    assert {r["status"] for r in tablet.push(mutations)} == {"applied"}
    return_visit(session, world, old)
    move_household(client, token_of, world, home, successor)
    holder = Tablet(client, successor)

    pulled = {c["id"]: c for c in holder.pull() if c["entity"] == "visit"}

    assert len(pulled) == 13 and pulled[str(old)]["data"]["status"] == "returned"
    data = {**visit_data(home, when=start, status="resubmitted"), "notes": "已补充"}
    [result] = holder.push([holder.mutation("visit", old, data)])
    assert result["status"] == "applied"
    session.expire_all()
    stored = session.get(Visit, old)
    assert (stored.status, stored.advisor_id, stored.corrected_by_id, stored.notes) == (
        "resubmitted",
        world.adv_a.id,
        successor.id,
        "已补充",
    )
    # The supervisor sees what the correction changed, not its bookkeeping.
    detail = queue.review_detail(session, world.sup_a, "visit", old)
    assert [c.field for c in detail.changes] == ["notes"]
    # Sent again under a new mutation id: the very record the server holds.
    [again] = holder.push([holder.mutation("visit", old, data)])
    assert again["status"] == "duplicate"


def test_nobody_but_the_holder_corrects_another_advisors_returned_visit(
    tablet, home, client, world, session
):
    vid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", vid, visit_data(home))])
    return_visit(session, world, vid)
    other = Tablet(client, world.user("advisor", world.street_a))  # holds nothing here
    data = visit_data(home, status="resubmitted")
    [result] = other.push([other.mutation("visit", vid, data)])
    assert result["reason"] == "not_in_caseload"


def test_the_handover_preview_lists_returned_records_still_waiting(
    tablet, home, world, successor, session
):
    vid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", vid, visit_data(home))])
    return_visit(session, world, vid, "请注明收入")
    request = handover.MoveRequest("household", home.external_id, successor.id)

    plan = handover.preview(session, world.sup_a, request)

    assert [(r.id, r.review_comment) for r in plan.returned] == [(vid, "请注明收入")]
