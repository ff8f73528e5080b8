"""Issue 19 in the real app under Xvfb against a real server: retired, every unsent visit
arrives exactly once, then the tablet wipes; lost, the token is refused at once and the
running app locks and wipes without a restart; past the offline lease the app locks, yet
the household being visited is recorded and sent, and a sync lifts the lock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Device, User, Visit
from server.services.admin import devices
from server.services.core.transaction import unit_of_work
from tests.mobile.ui import routine_visit, sign_in, sync_from_screen

pytestmark = pytest.mark.timeout(240)


def _device_id(app) -> str:
    return app.call("vm", attr="about", screen="settings").split("\n")[1].split(" ")[-1]


def _revoke(session, device_id: str, kind: str) -> Device:
    session.expire_all()
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    device = session.scalars(
        select(Device).where(Device.device_id == device_id).order_by(Device.id.desc())
    ).first()
    with unit_of_work(session):
        devices.revoke_device(
            session, actor=admin, device_pk=device.id, kind=kind, now=datetime.now(UTC)
        )
    return device


def _visits_offline(app, demo_server, count: int) -> list[str]:
    """Visits recorded with the server down; the heads' names of every household shown."""
    demo_server.stop()
    app.tap(id="tab_all")
    rows = [r for r in app.vm("rows") if r["viewclass"] == "DueRow"]
    for row in rows[:count]:
        routine_visit(app, row["household_id"])
    assert app.vm("badge") == f"待上传 {count}"
    return [r["head"] for r in rows]


def _found_in_files(folder, names: list[str]) -> set[str]:
    """Which of ``names`` the raw bytes of any file under ``folder`` still hold."""
    found = set()
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found |= {n for n in names if n.encode() in data}
    return found


def _wiped(session, device: Device) -> Device:
    session.expire_all()
    return session.get(Device, device.id)


def _wait_wipe_reported(app, session, device: Device) -> Device:
    app.wait_for(lambda: _wiped(session, device).wiped_at is not None, "the wipe report")
    return _wiped(session, device)


def test_retired_tablet_sends_every_unsent_visit_once_then_wipes(tablet, demo_server, session):
    app = tablet()
    sign_in(app)
    device_id = _device_id(app)
    _visits_offline(app, demo_server, 3)
    device = _revoke(session, device_id, "retire")
    demo_server.start()
    sync_from_screen(app)
    # Sent, each exactly once, then told to wipe: the sign-in says so, the store is new.
    app.wait_for(lambda: app.screen() == "signin", "the sign-in after the wipe")
    count = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.device_id == device_id)
    )
    assert count == 3
    assert "数据已擦除" in app.vm("waiting", screen="signin")
    assert app.store("pending_count") == 0 and app.store("get_state", "user") is None
    assert app.store("get_state", "token") is None
    reported = _wait_wipe_reported(app, session, device)
    assert reported.given_up == 0 and reported.revoke_kind == "retire"
    events = select(AuditEvent.action).where(AuditEvent.device_id == device_id)
    actions = set(session.scalars(events))
    assert {"revoke_retire", "wipe"} <= actions


def test_lost_tablet_is_refused_at_once_and_locks_and_wipes_without_a_restart(
    tablet, demo_server, session, tmp_path
):
    app = tablet()
    sign_in(app)
    device_id = _device_id(app)
    names = _visits_offline(app, demo_server, 1)
    # The caseload is on the tablet (the app shows it), encrypted at rest even before a wipe.
    assert names and not _found_in_files(tmp_path / "tablet", names)
    device = _revoke(session, device_id, "lost")
    demo_server.start()
    pid = app.proc.pid
    sync_from_screen(app)
    app.wait_for(lambda: app.screen() == "signin", "the sign-in after the wipe")
    assert app.proc.pid == pid and app.proc.poll() is None  # the same running app
    # The token was dead at once: the unsent visit never arrived; it was given up.
    count = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.device_id == device_id)
    )
    assert count == 0
    assert "数据已擦除" in app.vm("waiting", screen="signin")
    assert app.store("pending_count") == 0 and app.store("get_state", "token") is None
    reported = _wait_wipe_reported(app, session, device)
    assert reported.given_up == 1 and reported.revoke_kind == "lost"
    # Nothing of the caseload is left in the data folder.
    assert app.store("get_state", "last_sync_at") is None
    assert _found_in_files(tmp_path / "tablet", names) == set()


def test_past_the_lease_the_app_locks_yet_the_open_household_is_visited_and_sent(
    tablet, demo_server, session, monkeypatch
):
    from datetime import timedelta

    from server import context as server_context

    app = tablet()
    sign_in(app)
    app.tap(id="tab_all")
    row = next(r for r in app.vm("rows") if r["viewclass"] == "DueRow")
    app.tap(row=["household_id", row["household_id"]])
    assert app.screen() == "household"
    app.tap(id="back")
    assert app.screen() == "duelist"
    # 73 hours later (no sync meanwhile): the due list locks; the open household does not.
    assert app.call("shift_clock", hours=73) == "locked"
    assert "离线使用期限已到" in app.vm("title", screen="locked")
    app.tap(id="back_to")
    assert app.screen() == "household"
    app.tap(id="start_visit")
    app.tap(text="见面走访")
    app.tap(id="same_as_last")
    app.type("期限已过，仍在户内记录", id="notes")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "locked", "the lock after submitting")
    # Push still works; the server's clock moves too, so the sync renews the lease.
    later = datetime.now(UTC) + timedelta(hours=73)
    monkeypatch.setattr(server_context, "now", lambda: later)
    app.tap(id="sync_now")
    app.wait_for(lambda: app.screen() == "duelist", "the lock lifted by a sync")
    sent = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.notes == "期限已过，仍在户内记录")
    )
    assert sent == 1
