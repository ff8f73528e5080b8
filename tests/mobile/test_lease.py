"""The offline lease with a fixed clock (issue 19): past it the screens with personal data
lock, a visit for a household already opened is still recorded, push still works, and a
successful sync lifts the lock; what is left shows in settings and on the badge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server import context as server_context
from server.models import Visit
from tests.mobile.conftest import at, sync


@pytest.fixture
def households(live_world):
    first = live_world.household("A1", advisor=live_world.adv_a)
    second = live_world.household("A1", advisor=live_world.adv_a)
    return str(first.id), str(second.id)


def _visit(ctx, household_id: str) -> str:
    from mobile.viewmodels.visit import VisitFormViewModel

    vm = VisitFormViewModel(ctx)
    vm.open_new(household_id)
    vm.form.update({"outcome": "completed", "notes": "租期已过仍可记录"})
    assert vm.submit()
    return vm.form["id"]


def test_every_sync_renews_the_lease_from_the_server(households, signed_in):
    from mobile import access

    sync(signed_in)
    left = access.lease_left(signed_in.store, datetime.now(UTC))
    assert timedelta(hours=71) < left <= timedelta(hours=72)
    assert access.standing(signed_in.store, datetime.now(UTC)) == "open"


def test_past_the_lease_data_screens_lock_yet_an_opened_household_records_and_pushes(
    households, signed_in, session, monkeypatch
):
    from mobile import access
    from mobile.viewmodels.duelist import DueListViewModel
    from mobile.viewmodels.locked import LockedViewModel
    from mobile.viewmodels.settings import SettingsViewModel

    opened, other = households
    sync(signed_in)
    store, until = signed_in.store, access.lease_until(signed_in.store)
    # Five hours left: the badge and the settings say so; nothing is locked yet.
    at(signed_in, until - timedelta(hours=5))
    due = DueListViewModel(signed_in)
    due.refresh_badge()
    assert due.badge_last.endswith("离线可用还剩 5 小时 0 分")
    assert "离线可用还剩 5 小时 0 分" in SettingsViewModel(signed_in).lease
    assert access.blocked(store, signed_in.now(), "duelist") is None
    at(signed_in, until - timedelta(hours=13))
    due.refresh_badge()
    assert "离线可用" not in due.badge_last  # more than 12 h left: not on the badge

    # A minute past the lease: the tablet's clock, and the server's with it.
    later = until + timedelta(minutes=1)
    at(signed_in, later)
    monkeypatch.setattr(server_context, "now", lambda: later)
    now = signed_in.now()
    for screen in ("duelist", "records", "drafts", "sync", "lead"):
        assert access.blocked(store, now, screen, "", {opened}) == "lease", screen
    assert access.blocked(store, now, "household", other, {opened}) == "lease"
    assert access.blocked(store, now, "visit", other, {opened}) == "lease"
    for screen in ("household", "visit", "interview"):
        assert access.blocked(store, now, screen, opened, {opened}) is None
    for screen in ("signin", "pin", "settings", "locked"):
        assert access.blocked(store, now, screen) is None
    locked = LockedViewModel(signed_in)
    locked.refresh()
    assert locked.reason == "lease" and locked.can_sync and "离线使用期限已到" in locked.title
    assert "离线使用期限已到" in SettingsViewModel(signed_in).lease

    # The visit in the home the advisor opened is recorded, and push still works.
    record_id = _visit(signed_in, opened)
    assert store.pending_count() == 1
    sync(signed_in)
    arrived = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.notes == "租期已过仍可记录")
    )
    assert arrived == 1 and store.pending_count() == 0
    assert store.record("visit", record_id)["local_state"] == "synced"
    # That sync succeeded: the lease runs again from the server's now.
    assert access.standing(store, signed_in.now()) == "open"
    assert access.lease_left(store, signed_in.now()) == timedelta(hours=72)


def test_a_store_from_before_the_lease_counts_it_from_its_last_sync(households, signed_in):
    from mobile import access

    sync(signed_in)
    store = signed_in.store
    store.set_state("lease_until", None)
    last = datetime.fromisoformat(store.get_state("last_sync_at"))
    assert access.lease_until(store) == last + timedelta(hours=72)


def test_the_screen_arguments_name_their_household():
    from mobile import access

    assert access.household_of({"household_id": "h1"}) == "h1"
    assert access.household_of({"draft": {"household_id": "h2", "form": {}}}) == "h2"
    assert access.household_of({"record": {"household_id": "h3"}}) == "h3"
    assert access.household_of({"changed": ""}) == ""


def _revoke(live_world, session, ctx, kind: str) -> None:
    from server.models import Device
    from server.services.admin import devices
    from server.services.core.transaction import unit_of_work

    device = session.scalars(
        select(Device).where(Device.device_id == ctx.store.device_id()).order_by(Device.id.desc())
    ).first()
    with unit_of_work(session):
        devices.revoke_device(
            session, actor=live_world.admin, device_pk=device.id, kind=kind, now=datetime.now(UTC)
        )


def _sync_outcome(ctx) -> dict:
    outcome: dict = {}
    ctx.runner.sync(lambda *a: None, lambda r: outcome.update(ok=r), lambda e: outcome.update(e=e))
    ctx.runner.join(60)
    return outcome


def test_a_retired_answer_locks_at_once_while_the_rest_is_sent(
    households, signed_in, live_world, session
):
    from mobile import access

    sync(signed_in)
    seen: list[tuple[str, int]] = []
    signed_in.runner.on_revoked = lambda: seen.append(
        (access.standing(signed_in.store, signed_in.now()), signed_in.store.pending_count())
    )
    _visit(signed_in, households[0])
    _revoke(live_world, session, signed_in, "retire")
    outcome = _sync_outcome(signed_in)
    # Told at the push's answer (locked, not yet wiped), then told to wipe by the pull.
    assert seen[0] == ("revoked", 0)
    assert outcome["e"].wipe and outcome["e"].revoked == "retire"
    assert access.standing(signed_in.store, signed_in.now()) == "wipe"
    assert not signed_in.store.get_state("signed_out")  # locked and wiped, not signed out
    for screen in ("duelist", "household", "visit", "sync"):
        assert access.blocked(signed_in.store, signed_in.now(), screen, households[0], households)


def test_a_lost_answer_says_wipe_and_nothing_is_sent(households, signed_in, live_world, session):
    from mobile import access, wipe

    sync(signed_in)
    _visit(signed_in, households[0])
    _revoke(live_world, session, signed_in, "lost")
    outcome = _sync_outcome(signed_in)
    assert outcome["e"].status == 401 and outcome["e"].wipe
    assert access.standing(signed_in.store, signed_in.now()) == "wipe"
    assert signed_in.store.pending_count() == 1  # refused: kept until the wipe gives it up
    # The wipe: the key hook first, then the files; the report says one was given up.
    order: list[str] = []
    data_dir = signed_in.data_dir

    def shred(folder) -> None:
        order.append("keys" if (folder / "store.sqlite3").exists() else "files first")

    original = wipe.destroy_key_material
    wipe.destroy_key_material = shred
    try:
        receipt = wipe.wipe(data_dir, signed_in.store, signed_in.runner.server_url)
    finally:
        wipe.destroy_key_material = original
    signed_in.reset_store()
    assert order == ["keys"] and receipt.unsent == 1
    left = {p.name for p in data_dir.iterdir()} - {"settings.json", "kivy"}
    # A new encrypted store under a new data key (its keyring in keys/).
    assert left <= {"store.sqlite3", "store.sqlite3-wal", "store.sqlite3-shm", "keys"}
    assert signed_in.store.get_state("user") is None and signed_in.store.pending_count() == 0
    assert wipe.report(receipt)
    session.expire_all()
    from server.models import Device

    device = session.scalars(select(Device).where(Device.device_id == receipt.device_id)).first()
    assert device.given_up == 1 and device.wiped_at is not None


def test_a_wipe_counts_as_given_up_what_the_server_does_not_hold(households, signed_in):
    from mobile import records, wipe

    sync(signed_in)
    _visit(signed_in, households[0])  # waiting in the outbox
    records.remember_draft(
        signed_in.store, "visit", households[1], {"id": "d1", "notes": "未完成"}, "2026-12-03"
    )
    assert wipe.given_up(signed_in.store) == 2
