"""Key escrow (issue 19): a tablet deposits the key opening its store; another advisor
signed in on that tablet gets it back — never for a tablet an admin revoked since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Device
from server.services.admin import devices
from server.services.core.transaction import unit_of_work

KEY = "A" * 42 + "w"  # 43 base64url characters: 32 bytes
OTHER = "B" * 42 + "w"


def _deposit(client, headers, key=KEY):
    return client.put("/api/v1/auth/escrow", json={"key": key}, headers=headers)


def _release(client, headers):
    return client.post("/api/v1/auth/escrow/release", headers=headers)


def test_another_advisor_on_the_tablet_gets_the_deposited_key(world, auth, client, session):
    first = auth.headers(world.adv_a, "shared")
    assert _deposit(client, first).status_code == 204
    assert _deposit(client, first, OTHER).status_code == 204  # a new key replaces it
    successor = world.user("advisor", world.street_a, "successor")
    answer = _release(client, auth.headers(successor, "shared"))
    assert answer.status_code == 200 and answer.get_json() == {"key": OTHER}
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("escrow_deposit") == 2 and actions.count("escrow_release") == 1


def test_no_key_is_released_for_another_tablet_or_none_deposited(world, auth, client):
    assert _deposit(client, auth.headers(world.adv_a, "tablet-a")).status_code == 204
    elsewhere = auth.headers(world.adv_b, "tablet-b")
    assert _release(client, elsewhere).status_code == 404


def test_a_tablet_revoked_after_its_deposit_stays_locked(world, auth, client, session):
    assert _deposit(client, auth.headers(world.adv_a, "shared")).status_code == 204
    device = session.scalars(select(Device).where(Device.device_id == "shared")).first()
    later = datetime.now(UTC) + timedelta(seconds=1)
    with unit_of_work(session):
        devices.revoke_device(
            session, actor=world.admin, device_pk=device.id, kind="lost", now=later
        )
    successor = auth.headers(world.adv_b, "shared")
    refused = _release(client, successor)
    assert refused.status_code == 403 and "revoked" in refused.get_json()["message"]
    # Wiped, signed in again and a new key deposited after the revocation: released.
    session.commit()
    assert _deposit(client, successor, OTHER).status_code == 204
    with unit_of_work(session):
        device.revoked_at = later - timedelta(days=1)  # the revocation before that deposit
    assert _release(client, successor).get_json() == {"key": OTHER}


@pytest.mark.parametrize("key", ["", "short", "A" * 44, "A" * 42 + "+", None, 5])
def test_a_bad_key_is_refused_beside_its_field(world, auth, client, key):
    answer = _deposit(client, auth.headers(world.adv_a), key)
    assert answer.status_code == 422 and "key" in answer.get_json()["errors"]["json"]


def test_only_advisors_deposit_or_release(world, auth, client):
    supervisor = auth.headers(world.sup_a)
    assert _deposit(client, supervisor).status_code == 403
    assert _release(client, supervisor).status_code == 403
    assert client.post("/api/v1/auth/escrow/release").status_code == 401
