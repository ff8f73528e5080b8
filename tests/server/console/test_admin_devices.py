"""Administration of tablets: the list with last seen and pending reports; revoking a lost
tablet makes its token answer 401 on the very next API request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Device
from server.services.core.transaction import unit_of_work


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
    response = admin.post(f"/console/admin/devices/{device.id}/revoke")
    assert response.status_code == 302
    answer = client.get("/api/v1/sync/pull", headers=headers)
    assert answer.status_code == 401
    assert "revoked" in answer.get_json()["message"]
    assert client.get("/api/v1/sync/pull", headers=other).status_code == 200  # only that one
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "revoke"))
    assert (event.actor_id, event.entity_id, event.device_id) == (
        world.admin.id,
        str(device.id),
        "lost",
    )
    # Revoked twice: nothing more happens, and the page says so.
    again = admin.post(f"/console/admin/devices/{device.id}/revoke")
    assert again.status_code == 302
    assert len(list(session.scalars(select(AuditEvent).where(AuditEvent.action == "revoke")))) == 1
    assert "该令牌已被吊销" in admin.get("/console/admin/devices").get_data(as_text=True)


def test_revoked_tokens_show_under_their_filter(world, admin, auth, session):
    auth.headers(world.adv_a, "gone")
    device = _device(session, "gone")
    admin.post(f"/console/admin/devices/{device.id}/revoke")
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
    assert admin.post(path).status_code == 404


@pytest.mark.parametrize("query", ["state=nonsense", "page=x"])
def test_bad_filters(admin, query):
    status = admin.get(f"/console/admin/devices?{query}").status_code
    assert status == (400 if query.startswith("state") else 200)
