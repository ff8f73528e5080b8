"""Fixtures for the app's tests: an AppContext signed in for real; Xvfb, a demo server, the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

# Before Kivy is first imported: ``mobile`` sets Kivy's environment (Python logging, no
# stderr capture). Imported later, Kivy wraps stderr in a stream that logs to the logger
# whose handler writes to stderr, and ``pytest -s`` dies in a RecursionError.
import mobile  # noqa: F401,I001 - must come before the Kivy import below
from server.demo import load_demo
from server.services.core.transaction import unit_of_work
from sync.schedule import DEFAULT_TZ
from tests.mobile.remote import RemoteApp, free_port
from tests.mobile.ui import PASSWORD as DEMO_PASSWORD
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
    context.close()


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


@pytest.fixture(scope="session")
def display():
    """A private Xvfb display (skips, saying why, where Xvfb is not installed)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb libgl1-mesa-dri fonts-noto-cjk)")
    number = next(n for n in range(90, 190) if not os.path.exists(f"/tmp/.X11-unix/X{n}"))
    proc = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x1280x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.skip("Xvfb did not start")
        time.sleep(0.1)
    yield f":{number}"
    proc.terminate()
    proc.wait(5)


class Server:
    """The app behind werkzeug on one fixed port, which can be stopped and started again."""

    def __init__(self, app) -> None:
        self.app, self.port, self._server = app, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def demo_households() -> int:
    """How many households the demo district has (a module may ask for more)."""
    return 40


@pytest.fixture
def demo_server(app, session, demo_households):
    """A real server on 127.0.0.1 with demo data (a small district)."""
    session().expire_on_commit = False
    with unit_of_work(session):
        load_demo(session, households=demo_households, password=DEMO_PASSWORD, tz=DEFAULT_TZ)
    server = Server(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tablet(tmp_path, demo_server, display):
    """The app, started fresh; stopped (or killed) at the end."""
    apps: list[RemoteApp] = []

    def start() -> RemoteApp:
        remote = RemoteApp(tmp_path / "tablet", demo_server.url, display)
        (tmp_path / "tablet").mkdir(exist_ok=True)
        apps.append(remote.start())
        return remote

    yield start
    for remote in apps:
        remote.stop()
