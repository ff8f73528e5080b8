"""The real app under Xvfb: wrong PINs wait longer and longer, then the password opens the
tablet with no network, and the visit recorded offline is still there to send."""

from __future__ import annotations

import uuid

import pytest

from mobile import lock
from tests.mobile.ui import PASSWORD, PIN, first_row, routine_visit, sign_in

pytestmark = pytest.mark.timeout(240)


def test_a_locked_out_advisor_gets_back_in_offline_with_the_password(tablet, demo_server, tmp_path):
    app = tablet()
    sign_in(app)
    demo_server.stop()  # a village without a network, from here on
    app.tap(id="tab_all")
    row = first_row(app)
    routine_visit(app, row["household_id"])
    assert app.vm("badge") == "待上传 1"
    household = app.store("household", row["household_id"])
    secrets = [household["head_name"], household["phone"], app.store("get_state", "token")]
    assert all(secrets)
    app.stop()
    # Every file the real app left in its data folder (store, -wal, -shm, keys, settings,
    # Kivy's own): none holds the name, the phone or the token.
    files = [p for p in (tmp_path / "tablet").rglob("*") if p.is_file()]
    assert any(p.name == "store.sqlite3" for p in files)
    raw = b"".join(p.read_bytes() for p in files)
    assert [s for s in secrets if s.encode() in raw or s.encode("utf-16-le") in raw] == []

    app = tablet()
    app.wait_for(lambda: app.screen() == "pin", "the unlock screen")
    for tries in range(1, lock.MAX_FAILURES):
        app.type("000000", id="pin")
        app.tap(id="submit")
        assert f"还可尝试 {lock.MAX_FAILURES - tries} 次" in app.call("get", id="error")
        app.call("pass_time", seconds=lock.delay_after(tries))
    app.type("000000", id="pin")
    app.tap(id="submit")
    assert "请用账号密码登录" in app.call("get", id="error")
    assert app.screen() == "pin"

    app.tap(id="signin")
    app.wait_for(lambda: app.screen() == "signin", "the sign-in screen")
    app.type(PASSWORD, id="password")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "pin", "the PIN screen (set a new one)")
    app.type(PIN, id="pin")
    app.type(PIN, id="repeat")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "duelist", "the due list")
    assert app.store("pending_count") == 1
    assert app.vm("badge") == "待上传 1"


def test_a_locked_tablet_handed_to_another_advisor_delivers_the_earlier_visit(
    tablet, demo_server, session
):
    """advisor1 records a visit offline and the app stops (the tablet locks); advisor2, of
    the same street, signs in on it: the escrowed key opens the store and advisor1's visit
    reaches the server in advisor1's name."""
    from sqlalchemy import select

    from server.models import User, Visit

    app = tablet()
    sign_in(app)
    demo_server.stop()
    app.tap(id="tab_all")
    row = first_row(app)
    routine_visit(app, row["household_id"])
    assert app.vm("badge") == "待上传 1"
    app.stop()
    demo_server.start()

    app = tablet()
    app.wait_for(lambda: app.screen() == "pin", "the unlock screen")
    app.tap(id="signin")
    app.wait_for(lambda: app.screen() == "signin", "the sign-in screen")
    sign_in(app, "advisor2")  # the password, a PIN of their own, the due list, a sync
    app.wait_for(lambda: app.store("pending_count") == 0, "the earlier visit delivered")
    session.expire_all()
    first = session.scalar(select(User).where(User.username == "advisor1"))
    visits = session.scalars(
        select(Visit).where(
            Visit.household_id == uuid.UUID(row["household_id"]), Visit.advisor_id == first.id
        )
    ).all()
    assert len([v for v in visits if v.status == "submitted"]) == 1
