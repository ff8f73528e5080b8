"""Issue 19 on the server: the offline lease in every sync answer, an admin's two kinds of
revocation (retire: push, then wipe; lost: 401 and wipe at once), the wipe report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Device
from server.services.admin import devices, lease
from server.services.core.errors import Forbidden, Invalid
from server.services.core.transaction import unit_of_work
from sync.protocol import DEFAULT_LEASE_HOURS
from tests.server.sync_helpers import Tablet, visit_data


@pytest.fixture
def household(world, session):
    household = world.household("A1", advisor=world.adv_a)
    session.commit()
    return household


@pytest.fixture
def tablet(client, world, household):
    return Tablet(client, world.adv_a)


def _device(session, tablet: Tablet) -> Device:
    session.expire_all()
    return session.scalar(
        select(Device).where(Device.device_id == tablet.device_id).order_by(Device.id.desc())
    )


def _revoke(session, world, tablet: Tablet, kind: str) -> Device:
    with unit_of_work(session):
        device = devices.revoke_device(
            session,
            actor=world.admin,
            device_pk=_device(session, tablet).id,
            kind=kind,
            now=datetime.now(UTC),
        )
    return device


def _lease(answer: dict) -> timedelta:
    return datetime.fromisoformat(answer["lease_until"]) - datetime.now(UTC)


def _report(tablet: Tablet, pending: int) -> dict[str, str]:
    return {**tablet.headers, "X-Pending-Count": str(pending)}


def test_every_sync_answer_carries_the_lease(tablet, world, auth, household):
    hours = timedelta(hours=DEFAULT_LEASE_HOURS)
    assert hours - timedelta(minutes=1) < _lease(tablet.pull_page()) <= hours
    visit = tablet.mutation("visit", uuid.uuid4(), visit_data(household))
    answer = tablet.push_raw([visit]).get_json()
    assert hours - timedelta(minutes=1) < _lease(answer) <= hours
    signed_in = auth.login(world.adv_a.username, device_id="other").get_json()
    assert hours - timedelta(minutes=1) < _lease(signed_in) <= hours


def test_the_admin_sets_the_lease_length(tablet, world, session):
    with unit_of_work(session):
        lease.set_lease_hours(session, actor=world.admin, hours=8, now=datetime.now(UTC))
    assert timedelta(hours=7) < _lease(tablet.pull_page()) <= timedelta(hours=8)
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "lease_policy"))
    assert event.diff == {"lease_hours": [DEFAULT_LEASE_HOURS, 8]}


@pytest.mark.parametrize("hours", [0, -1, 721, 10**6])
def test_a_lease_out_of_range_is_refused_with_a_field_message(world, session, hours):
    with pytest.raises(Invalid) as refusal, unit_of_work(session):
        lease.set_lease_hours(session, actor=world.admin, hours=hours, now=datetime.now(UTC))
    assert list(refusal.value.errors) == ["lease_hours"]
    assert lease.lease_hours(session) == DEFAULT_LEASE_HOURS


def test_only_an_admin_sets_the_lease(world, session):
    with pytest.raises(Forbidden), unit_of_work(session):
        lease.set_lease_hours(session, actor=world.sup_a, hours=8, now=datetime.now(UTC))


def test_a_lost_tablet_is_refused_at_once_and_told_to_wipe(tablet, world, session, household):
    tablet.pull_page()
    _revoke(session, world, tablet, "lost")
    visit = tablet.mutation("visit", uuid.uuid4(), visit_data(household))
    for response in (
        tablet.push_raw([visit]),
        tablet.client.get("/api/v1/sync/pull", headers=tablet.headers),
        tablet.client.get("/api/v1/schedule/due", headers=tablet.headers),
    ):
        assert response.status_code == 401
        body = response.get_json()
        assert (body["code"], body["revoked"], body["wipe"]) == (401, "lost", True)
        assert body["message"] and body["errors"] == {}
    assert not list(session.scalars(select(AuditEvent).where(AuditEvent.action == "sync_create")))


def test_a_retired_tablet_pushes_what_it_holds_then_is_told_to_wipe(
    tablet, world, session, household
):
    tablet.pull_page()
    _revoke(session, world, tablet, "retire")
    # Still holding two records: its push is taken, the answer says retired (no lease).
    record = uuid.uuid4()
    visit = tablet.mutation("visit", record, visit_data(household))
    tablet.headers = _report(tablet, 1)
    answer = tablet.push_raw([visit]).get_json()
    assert answer["results"][0]["status"] == "applied"
    assert answer["revoked"] == "retire" and "lease_until" not in answer
    # A pull is refused; while it still reports unsent records, no wipe yet.
    refused = tablet.client.get("/api/v1/sync/pull", headers=_report(tablet, 1))
    assert refused.status_code == 401 and refused.get_json()["wipe"] is False
    assert refused.get_json()["revoked"] == "retire"
    # Its outbox acknowledged (reported empty): wipe.
    told = tablet.client.get("/api/v1/sync/pull", headers=_report(tablet, 0))
    assert told.status_code == 401 and told.get_json()["wipe"] is True


def test_a_retired_token_is_refused_elsewhere(tablet, world, session):
    _revoke(session, world, tablet, "retire")
    response = tablet.client.get("/api/v1/schedule/due", headers=tablet.headers)
    assert response.status_code == 401 and response.get_json()["revoked"] == "retire"


def test_the_wipe_report_is_recorded_once_and_audited(tablet, world, session, client):
    _revoke(session, world, tablet, "lost")
    body = {"device_id": tablet.device_id, "unsent": 3}
    for _ in range(2):  # a repeat (its answer lost) changes nothing
        response = client.post("/api/v1/sync/wiped", json=body, headers=tablet.headers)
        assert response.status_code == 204
    device = _device(session, tablet)
    assert device.wiped_at is not None and device.given_up == 3
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "wipe"))
    assert (event.actor_id, event.entity_id) == (world.adv_a.id, str(device.id))
    # Wiped, a retired token too is dead for pushes.
    assert tablet.push_raw([]).status_code == 401


def test_a_retired_tablet_after_its_wipe_may_push_no_more(tablet, world, session, client):
    _revoke(session, world, tablet, "retire")
    body = {"device_id": tablet.device_id, "unsent": 0}
    assert client.post("/api/v1/sync/wiped", json=body, headers=tablet.headers).status_code == 204
    response = tablet.push_raw([])
    assert response.status_code == 401 and response.get_json()["wipe"] is True


@pytest.mark.parametrize(
    ("revoked", "body", "status"),
    [
        (None, {"unsent": 0}, 401),  # a live token does not wipe
        ("signed_out", {"unsent": 0}, 401),  # nor one merely signed out
        ("lost", {"unsent": -1}, 422),
        ("lost", {"unsent": "3"}, 422),
        ("lost", {}, 422),
        ("lost", {"unsent": 0, "device_id": "someone-else"}, 422),
    ],
)
def test_bad_wipe_reports(tablet, world, session, client, revoked, body, status):
    if revoked == "lost":
        _revoke(session, world, tablet, "lost")
    elif revoked == "signed_out":
        assert client.post("/api/v1/auth/logout", headers=tablet.headers).status_code == 204
    response = client.post(
        "/api/v1/sync/wiped", json={"device_id": tablet.device_id, **body}, headers=tablet.headers
    )
    assert response.status_code == status
    assert set(response.get_json()) >= {"code", "status", "message", "errors"}
    assert _device(session, tablet).wiped_at is None


def test_no_token_reports_no_wipe(client):
    response = client.post("/api/v1/sync/wiped", json={"device_id": "x", "unsent": 0})
    assert response.status_code == 401


def test_a_signed_out_token_is_a_plain_401_without_wipe(tablet, client):
    assert client.post("/api/v1/auth/logout", headers=tablet.headers).status_code == 204
    body = client.get("/api/v1/sync/pull", headers=tablet.headers).get_json()
    assert body["code"] == 401 and "wipe" not in body and "revoked" not in body


@pytest.mark.parametrize("kind", ["", "stolen", "RETIRE"])
def test_an_unknown_kind_is_refused(tablet, world, session, kind):
    with pytest.raises(Invalid), unit_of_work(session):
        devices.revoke_device(
            session,
            actor=world.admin,
            device_pk=_device(session, tablet).id,
            kind=kind,
            now=datetime.now(UTC),
        )
    assert _device(session, tablet).revoked_at is None
