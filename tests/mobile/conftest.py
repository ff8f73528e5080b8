"""Fixtures for the app's tests: an AppContext on a temporary store, signed in for real."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here
from tests.server_fixtures import PASSWORD, World

pytest.importorskip("kivy", reason="the app extra (Kivy) is not installed")


def _direct(callback) -> None:
    # The view-model tests have no Kivy loop: run the runner's callbacks where they arrive.
    callback()


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch):
    """A fresh app context (store, settings, runner) in ``tmp_path``; closed afterwards."""
    monkeypatch.setenv("KIVY_HOME", str(tmp_path / "kivy"))
    from mobile.context import AppContext

    context = AppContext.open(tmp_path / "app", _direct, "http://127.0.0.1:9")
    yield context
    context.runner.join(10)
    context.store.close()


@pytest.fixture
def live_world(live_server, session) -> World:
    """The usual world; ``live_server`` already keeps committed rows readable here."""
    return World(session)


@pytest.fixture
def signed_in(ctx, live_server, live_world):
    """``ctx`` signed in as street A's advisor against a real server, synced once."""
    from mobile.viewmodels.auth import SignInViewModel

    vm = SignInViewModel(ctx)
    vm.server_url, vm.username, vm.password = live_server, live_world.adv_a.username, PASSWORD
    assert vm.submit()
    ctx.runner.join(30)
    assert vm.error == "" and ctx.store.get_state("token")
    return ctx


def sync(ctx) -> None:
    """One real sync through the runner, waited for."""
    outcome = {}
    ctx.runner.sync(lambda *a: None, lambda r: outcome.update(ok=r), lambda e: outcome.update(e=e))
    ctx.runner.join(60)
    assert "ok" in outcome, outcome


def at(ctx, when: datetime) -> None:
    """Freeze the context's clock."""
    ctx.clock = lambda tz: when.astimezone(tz)
