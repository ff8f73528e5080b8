"""Administration of tablets: the list with last seen and pending reports; revoking a tablet
as retired or lost (a lost one's token answers 401 on the very next API request), its wipe
shown once reported, and the offline lease's length."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Device
from server.services.admin import lease
from server.services.core.transaction import unit_of_work
from sync.schedule import DEFAULT_TZ


@pytest.fixture
def admin(world, console):
    return console.as_user(world.admin)


def _device(session, device_id: str) -> Device:
    session.expire_all()
    return session.scalar(
        select(Device).where(Device.device_id == device_id).order_by(Device.id.desc())
    )


def test_the_list_shows_each_tablet_with_its_report(world, admin, auth, client, session):
    headers = auth.headers(world.adv_a, "tablet-a")
    oldest = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    report = {"X-Pending-Count": "4", "X-Oldest-Pending-At": oldest}
    assert client.get("/api/v1/sync/pull", headers={**headers, **report}).status_code == 200
    page = admin.get("/console/admin/devices").get_data(as_text=True)
    assert "tablet-a" in page and world.adv_a.display_name in page
    assert "0.1.0" in page  # the app version it signed in with
    device = _device(session, "tablet-a")
    row = page[page.index(f'id="device-{device.id}"') :].split("</tr>")[0]
    assert "<td>4</td>" in row and "超过24小时未上传" in row
    assert 'class="table-danger" id="device-' in page


def test_revoking_a_lost_tablet_makes_its_token_401_at_once(world, admin, auth, client, session):
    headers = auth.headers(world.adv_a, "lost")
    other = auth.headers(world.adv_a, "kept")
    assert client.get("/api/v1/sync/pull", headers=headers).status_code == 200
    device = _device(session, "lost")
    response = admin.post(f"/console/admin/devices/{device.id}/revoke", data={"kind": "lost"})
    assert response.status_code == 302
    answer = client.get("/api/v1/sync/pull", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["revoked"] == "lost" and answer.get_json()["wipe"] is True
    assert client.get("/api/v1/sync/pull", headers=other).status_code == 200  # only that one
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "revoke_lost"))
    assert (event.actor_id, event.entity_id, event.device_id) == (
        world.admin.id,
        str(device.id),
        "lost",
    )
    # Revoked twice: nothing more happens, and the page says so.
    again = admin.post(f"/console/admin/devices/{device.id}/revoke", data={"kind": "retire"})
    assert again.status_code == 302
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("revoke%")))
    assert len(list(events)) == 1
    assert "该令牌已被吊销" in admin.get("/console/admin/devices").get_data(as_text=True)


def test_revoked_tokens_show_under_their_filter(world, admin, auth, session):
    auth.headers(world.adv_a, "gone")
    device = _device(session, "gone")
    admin.post(f"/console/admin/devices/{device.id}/revoke", data={"kind": "retire"})
    assert f'id="device-{device.id}"' not in admin.get("/console/admin/devices").get_data(
        as_text=True
    )
    page = admin.get("/console/admin/devices?state=revoked").get_data(as_text=True)
    assert f'id="device-{device.id}"' in page and "已吊销" in page


def test_a_revoked_tablet_still_holding_records_stays_on_the_list(world, admin, auth, session):
    auth.headers(world.adv_a, "holding")
    device = _device(session, "holding")
    with unit_of_work(session):
        device.pending_count, device.revoked_at = 3, datetime.now(UTC)
    assert f'id="device-{device.id}"' in admin.get("/console/admin/devices").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/console/admin/devices/999999/revoke"])
def test_revoking_an_unknown_device_is_404(admin, path):
    assert admin.post(path, data={"kind": "lost"}).status_code == 404


@pytest.mark.parametrize("query", ["state=nonsense", "page=x"])
def test_bad_filters(admin, query):
    status = admin.get(f"/console/admin/devices?{query}").status_code
    assert status == (400 if query.startswith("state") else 200)


def test_the_admin_chooses_retire_and_the_tablet_still_pushes(world, admin, auth, client, session):
    headers = auth.headers(world.adv_a, "handed-back")
    device = _device(session, "handed-back")
    page = admin.get("/console/admin/devices").get_data(as_text=True)
    assert f'id="retire-{device.id}"' in page and f'id="lost-{device.id}"' in page
    assert "停用回收" in page and "报失" in page
    admin.post(f"/console/admin/devices/{device.id}/revoke", data={"kind": "retire"})
    assert "它会先上传尚未上传的记录" in admin.get("/console/admin/devices").get_data(as_text=True)
    body = {"device_id": "handed-back", "schema_version": 1, "mutations": []}
    push = client.post("/api/v1/sync/push", json=body, headers={**headers, "Idempotency-Key": "k1"})
    assert push.status_code == 200 and push.get_json()["revoked"] == "retire"
    assert _device(session, "handed-back").revoke_kind == "retire"
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "revoke_retire"))
    assert event.diff["revoke_kind"] == [None, "retire"]
    log = admin.get("/console/admin/audit").get_data(as_text=True)
    assert "平板停用回收" in log


@pytest.mark.parametrize("kind", ["", "stolen"])
def test_revoking_without_a_known_kind_is_refused(world, admin, auth, session, kind):
    auth.headers(world.adv_a, "unsure")
    device = _device(session, "unsure")
    response = admin.post(f"/console/admin/devices/{device.id}/revoke", data={"kind": kind})
    assert response.status_code == 400
    assert _device(session, "unsure").revoked_at is None


def test_the_wipe_shows_with_its_time_and_what_was_given_up(world, admin, auth, client, session):
    headers = auth.headers(world.adv_a, "lost-one")
    device = _device(session, "lost-one")
    admin.post(f"/console/admin/devices/{device.id}/revoke", data={"kind": "lost"})
    page = admin.get("/console/admin/devices?state=revoked").get_data(as_text=True)
    assert f'id="wiped-{device.id}"' in page and "尚未擦除" in page
    body = {"device_id": "lost-one", "unsent": 2}
    assert client.post("/api/v1/sync/wiped", json=body, headers=headers).status_code == 204
    page = admin.get("/console/admin/devices?state=revoked").get_data(as_text=True)
    row = page[page.index(f'id="device-{device.id}"') :].split("</tr>")[0]
    wiped_at = _device(session, "lost-one").wiped_at.astimezone(ZoneInfo(DEFAULT_TZ))
    assert f"已擦除 {wiped_at:%Y-%m-%d %H:%M}" in row
    assert "放弃未上传记录 2 条" in row and "报失" in row
    log = admin.get("/console/admin/audit").get_data(as_text=True)
    assert "平板已擦除" in log and "平板报失" in log


def test_the_admin_sets_the_offline_lease(world, admin, auth, client, session):
    page = admin.get("/console/admin/devices").get_data(as_text=True)
    assert "离线使用期限（小时）" in page and 'value="72"' in page
    response = admin.post("/console/admin/devices/lease", data={"lease_hours": "24"})
    assert response.status_code == 302
    headers = auth.headers(world.adv_a, "leased")
    answer = client.get("/api/v1/sync/pull", headers=headers).get_json()
    left = datetime.fromisoformat(answer["lease_until"]) - datetime.now(UTC)
    assert timedelta(hours=23) < left <= timedelta(hours=24)
    assert 'value="24"' in admin.get("/console/admin/devices").get_data(as_text=True)


@pytest.mark.parametrize("hours", ["0", "721", "abc", ""])
def test_a_bad_lease_is_refused_with_a_message(admin, hours, session):
    response = admin.post("/console/admin/devices/lease", data={"lease_hours": hours})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "invalid-feedback" in page
    assert lease.lease_hours(session) == 72
