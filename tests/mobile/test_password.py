"""The tablet's settings change the advisor's password on the server (an advisor told to
请立即修改 after an admin's reset)."""

from __future__ import annotations

import pytest

from mobile.i18n import tr
from mobile.viewmodels.settings import SettingsViewModel
from tests.mobile.ui import PASSWORD as UI_PASSWORD
from tests.mobile.ui import sign_in
from tests.server_fixtures import PASSWORD

NEW = "a-new-password-2026"


def _change(ctx, current: str, new: str) -> SettingsViewModel:
    vm = SettingsViewModel(ctx)
    vm.current_password, vm.new_password = current, new
    started = vm.change_password()
    ctx.runner.join(30)
    assert started
    return vm


def test_a_short_new_password_is_refused_on_the_tablet(signed_in):
    vm = SettingsViewModel(signed_in)
    vm.current_password, vm.new_password = PASSWORD, "short"
    assert not vm.change_password()
    assert vm.password_message == tr("password.too_short", n=8)


def test_a_wrong_current_password_changes_nothing(signed_in, live_world):
    vm = _change(signed_in, "wrong-password", NEW)
    assert vm.password_message == tr("password.wrong")
    assert vm.current_password == "" and not vm.password_busy


def test_the_advisor_changes_their_password(signed_in, live_server, live_world):
    vm = _change(signed_in, PASSWORD, NEW)
    assert vm.password_message == tr("password.changed")
    assert vm.current_password == vm.new_password == ""
    outcome = {}
    signed_in.runner.login(
        live_server,
        live_world.adv_a.username,
        NEW,
        lambda user: outcome.update(ok=user),
        lambda error: outcome.update(error=error),
    )
    signed_in.runner.join(30)
    assert outcome.get("ok", {}).get("username") == live_world.adv_a.username, outcome


@pytest.mark.timeout(240)
def test_the_settings_screen_changes_the_password(tablet):
    """The real app: 设置 → 修改密码, typed and tapped like an advisor would."""
    app = tablet()
    sign_in(app)
    app.tap(id="nav_settings")
    app.wait_for(lambda: app.screen() == "settings", "the settings screen")
    app.type(UI_PASSWORD, id="current_password")
    app.type(NEW, id="new_password")
    app.tap(id="change_password")
    app.wait_for(
        lambda: app.vm("password_message", screen="settings") == "密码已修改", "the change"
    )
