"""The administration services on their own (no console): admin only, the checks that
keep accounts, areas and tokens consistent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.services.admin import accounts as admin_users
from server.services.admin import areas, audit_log, devices
from server.services.admin import policy as policy_admin
from server.services.core.errors import Conflict, Forbidden, Invalid
from server.services.core.transaction import unit_of_work
from sync.policy import DEFAULT_POLICY, dump_policy
from tests.factories import NOW

CALLS = [
    lambda s, a, w: admin_users.list_users(s, a, admin_users.UserFilter(), page=1, page_size=5),
    lambda s, a, w: admin_users.set_active(s, actor=a, user=w.adv_a, active=False, now=NOW),
    lambda s, a, w: devices.list_devices(s, a, state="all", now=NOW, page=1, page_size=5),
    lambda s, a, w: areas.tree(s, a),
    lambda s, a, w: areas.rename_area(s, actor=a, area=w.street_a, code="Z", name="z", now=NOW),
    lambda s, a, w: audit_log.search(
        s, a, audit_log.AuditFilter(), tz="Asia/Shanghai", page=1, page_size=5
    ),
    lambda s, a, w: policy_admin.save_policy_data(
        s, actor=a, data=dump_policy(DEFAULT_POLICY), today=NOW.date(), now=NOW
    ),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("who", ["sup_a", "sup_district", "adv_a"])
def test_only_admins(world, session, call, who):
    with pytest.raises(Forbidden), unit_of_work(session):
        call(session, getattr(world, who), world)
    session.expire_all()
    assert world.adv_a.active and world.street_a.code == "SA"


def test_temporary_passwords_are_long_random_and_unambiguous():
    seen = {admin_users.temporary_password() for _ in range(50)}
    assert len(seen) == 50
    assert all(len(p) == 12 and not set(p) & set("0O1lI") for p in seen)


def test_area_and_below(world, session):
    found = admin_users.area_and_below(session, world.district.id)
    assert len(found) == 7
    assert admin_users.area_and_below(session, world.street_b.id) == {
        world.street_b.id,
        world.community["B1"].id,
        world.community["B2"].id,
    }


def test_tree_counts_accounts_and_households(world, session):
    world.household("A1", advisor=world.adv_a)
    (district,) = areas.tree(session, world.admin)
    street_a = next(n for n in district.children if n.area.code == "SA")
    a1 = next(n for n in street_a.children if n.area.code == "A1")
    assert (district.users, street_a.users, a1.households) == (2, 2, 1)


def test_revoking_twice_is_a_conflict(world, session, token_of):
    token_of(world.adv_a, "t1")
    page = devices.list_devices(session, world.admin, state="live", now=NOW, page=1, page_size=5)
    (row,) = page.items
    with unit_of_work(session):
        devices.revoke_device(
            session, actor=world.admin, device_pk=row.device.id, kind="lost", now=NOW
        )
    with pytest.raises(Conflict), unit_of_work(session):
        devices.revoke_device(
            session, actor=world.admin, device_pk=row.device.id, kind="lost", now=NOW
        )


def test_device_states(world, session, token_of):
    token_of(world.adv_a, "t1")
    now = datetime.now(UTC)
    later = now + timedelta(days=400)  # past the token's lifetime
    (live,) = devices.list_devices(
        session, world.admin, state="all", now=now, page=1, page_size=5
    ).items
    (old,) = devices.list_devices(
        session, world.admin, state="all", now=later, page=1, page_size=5
    ).items
    assert (live.state, old.state) == ("live", "expired")
    assert (
        devices.list_devices(
            session, world.admin, state="live", now=later, page=1, page_size=5
        ).total
        == 0
    )


def test_masked_hides_secrets_whatever_was_stored():
    diff = {
        "password_hash": ["a", "b"],
        "token_hash": ["c", "d"],
        "id_number": ["e", "f"],
        "phone": ["1", "2"],
    }
    assert audit_log.masked(diff) == {
        "password_hash": ["***", "***"],
        "token_hash": ["***", "***"],
        "id_number": ["***", "***"],
        "phone": ["1", "2"],
    }


def test_a_policy_refusal_keeps_marshmallows_field_shape(world, session):
    data = dump_policy(DEFAULT_POLICY)
    data["default"]["high"] = "weekly"
    with pytest.raises(Invalid) as refusal, unit_of_work(session):
        policy_admin.save_policy_data(
            session, actor=world.admin, data=data, today=NOW.date(), now=NOW
        )
    assert "high" in refusal.value.errors["default"]
