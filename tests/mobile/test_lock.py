"""The PIN and the password on the tablet: growing delays, then the password (offline too),
and nothing readable in the data folder — through the view-models, against a real server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from mobile import lock
from mobile.i18n import tr
from tests.mobile.conftest import _direct, sync
from tests.server_fixtures import PASSWORD

PIN = "135790"


@pytest.mark.parametrize("pin", ["", "12345", "1234567", "12345a", "１２３４５６", " 123456"])
def test_a_pin_is_six_ascii_digits(pin):
    assert not lock.valid_pin(pin)


@pytest.fixture
def household(live_world):
    return live_world.household("A1", advisor=live_world.adv_a)


@pytest.fixture
def with_pin(signed_in):
    """Signed in, PIN set (as the PIN screen does right after the password)."""
    from mobile.viewmodels.auth import PinViewModel

    vm = PinViewModel(signed_in)
    assert vm.mode == "set"
    vm.pin = vm.repeat = PIN
    assert vm.submit()
    return signed_in


def _queue_visit(ctx, household) -> str:
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(ctx)  # the household reaches the tablet
    vm = VisitFormViewModel(ctx)
    vm.open_new(str(household.id))
    vm.form.update({"outcome": "completed", "notes": f"{household.head_name} {household.phone}"})
    assert vm.submit()
    return vm.form["id"]


def _restart(ctx, server_url: str):
    """The app stopped and started again (same data folder): the store is locked."""
    from mobile.context import AppContext

    ctx.runner.join(10)
    ctx.close()
    return AppContext.open(ctx.data_dir, _direct, server_url)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_data_folder_holds_no_name_phone_or_token(with_pin, household):
    _queue_visit(with_pin, household)
    token = with_pin.store.get_state("token")
    files = [p for p in with_pin.data_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"store.sqlite3", "store.sqlite3-wal", "keyring.bin", "device.key"} <= names
    raw = b"".join(p.read_bytes() for p in files)
    for secret in (household.head_name, household.phone, token, PASSWORD, PIN):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, secret


def test_after_a_restart_only_the_pin_opens_the_store(with_pin, live_server):
    ctx = _restart(with_pin, live_server)
    try:
        from mobile.viewmodels.auth import PinViewModel

        assert ctx.store is None
        vm = PinViewModel(ctx)
        assert vm.mode == "unlock" and ctx.vault.username in vm.who
        vm.pin = PIN
        assert vm.submit() and ctx.store is not None and ctx.runner.store is ctx.store
    finally:
        ctx.close()


def test_wrong_pins_wait_then_block_and_the_password_opens_offline(with_pin, household):
    """Five slips with growing waits, the sixth destroys the PIN wrapping; then the
    password, with the server unreachable, opens the store with the unsent visit in it."""
    from mobile.viewmodels.auth import PinViewModel, SignInViewModel

    visit_id = _queue_visit(with_pin, household)
    ctx = _restart(with_pin, "http://127.0.0.1:9")  # nothing listens there: offline
    try:
        clock = Clock(ctx.vault.clock())
        ctx.vault.clock = clock
        vm = PinViewModel(ctx)
        for left in range(lock.MAX_FAILURES - 1, 0, -1):
            vm.pin = "000000"
            assert not vm.submit() and str(left) in vm.error and ctx.store is None
            wait = lock.delay_after(lock.MAX_FAILURES - left)
            if wait:
                vm.pin = PIN  # the right PIN, too early: not even tried
                assert not vm.submit() and vm.error == tr("unlock.wait", seconds=wait)
                clock.now += wait
        vm.pin = "000000"
        assert not vm.submit() and vm.blocked and vm.error == tr("unlock.blocked")
        vm.reset()
        assert vm.blocked  # a restart does not bring the PIN back

        signin = SignInViewModel(ctx)
        assert signin.username == ctx.vault.username
        signin.password = "wrong-password"
        assert signin.submit()
        ctx.runner.join(30)
        assert ctx.store is None and "本平板" in signin.error
        clock.now += 600
        signin.password = PASSWORD
        assert signin.submit()
        ctx.runner.join(30)
        assert signin.error == "" and ctx.store is not None
        assert [m["id"] for m in ctx.store.pending_mutations()] == [visit_id]
        # Then a new PIN, as after any password sign-in.
        vm.reset()
        assert vm.mode == "set"
        vm.pin = vm.repeat = "246802"
        assert vm.submit() and ctx.vault.has_pin
    finally:
        ctx.close()


def _sign_in(ctx, username: str):
    from mobile.viewmodels.auth import SignInViewModel

    vm = SignInViewModel(ctx)
    vm.username, vm.password = username, PASSWORD
    assert vm.submit()
    ctx.runner.join(30)
    return vm


def test_another_advisor_opens_a_locked_tablet_and_delivers_its_records(
    with_pin, household, live_server, live_world, session
):
    """A tablet handed over after it locked: the next advisor's sign-in gets the escrowed
    key released, the store opens, and the earlier advisor's unsent visit is delivered on
    their behalf — nothing recorded stays shut away."""
    from server.models import AuditEvent, Visit

    visit_id = _queue_visit(with_pin, household)
    assert with_pin.vault.escrow_device == with_pin.store.device_id()
    ctx = _restart(with_pin, live_server)
    try:
        successor = live_world.user("advisor", live_world.street_a, "successor")
        session.commit()
        vm = _sign_in(ctx, successor.username)
        assert vm.error == "" and ctx.store is not None
        assert ctx.vault.username == successor.username  # re-wrapped for the new advisor
        sync(ctx)
        session.expire_all()
        stored = session.get(Visit, uuid.UUID(visit_id))
        assert stored is not None and stored.advisor_id == live_world.adv_a.id
        assert ctx.store.pending_count() == 0
        released = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "escrow_release")
        ).all()
        assert [e.actor_id for e in released] == [successor.id]
    finally:
        ctx.close()


def test_a_revoked_tablet_stays_locked_to_another_advisor(
    with_pin, household, live_server, live_world, session
):
    from server.models import Device
    from server.services.admin import devices
    from server.services.core.transaction import unit_of_work

    _queue_visit(with_pin, household)
    device = session.scalars(
        select(Device).where(Device.device_id == with_pin.store.device_id())
    ).first()
    with unit_of_work(session):
        devices.revoke_device(
            session,
            actor=live_world.admin,
            device_pk=device.id,
            kind="retire",
            now=datetime.now(UTC),
        )
    ctx = _restart(with_pin, live_server)
    try:
        vm = _sign_in(ctx, live_world.adv_b.username)
        assert ctx.store is None and vm.error == tr("signin.tablet_revoked")
    finally:
        ctx.close()


def test_without_a_deposited_key_the_store_stays_its_advisors(with_pin, live_server, live_world):
    """A tablet whose key never reached the server (signed in before escrow existed)."""
    with_pin.vault._save(escrow=None, escrow_device="")
    ctx = _restart(with_pin, live_server)
    try:
        vm = _sign_in(ctx, live_world.adv_b.username)
        assert ctx.store is None
        assert vm.error == tr("signin.other_user", name=live_world.adv_a.username)
    finally:
        ctx.close()


def test_a_changed_password_opens_the_store_offline(with_pin, live_server):
    from mobile.viewmodels.settings import SettingsViewModel

    vm = SettingsViewModel(with_pin)
    new = f"new-{uuid.uuid4().hex[:12]}"
    vm.current_password, vm.new_password = PASSWORD, new
    assert vm.change_password()
    with_pin.runner.join(30)
    assert vm.password_message == tr("password.changed")
    user = with_pin.vault.username
    ctx = _restart(with_pin, "http://127.0.0.1:9")
    try:
        assert ctx.vault.unlock_password(user, new)
    finally:
        ctx.close()
