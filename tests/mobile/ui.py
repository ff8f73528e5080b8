"""What the UI tests share: signing in, unlocking, a routine visit, a sync from the screen."""

from __future__ import annotations

import os
from pathlib import Path

from tests.mobile.remote import RemoteApp

PASSWORD = "demo-password"
PIN = "246810"


def sign_in(app: RemoteApp, username: str = "advisor1") -> None:
    assert app.screen() == "signin"
    app.type(username, id="username")
    app.type(PASSWORD, id="password")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "pin", "the PIN screen")
    app.type(PIN, id="pin")
    app.type(PIN, id="repeat")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "duelist", "the due list")
    app.wait_synced()


def unlock(app: RemoteApp) -> None:
    app.wait_for(lambda: app.screen() == "pin", "the unlock screen")
    app.type(PIN, id="pin")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "duelist", "the due list")


def first_row(app: RemoteApp, state: str | None = None) -> dict:
    """The first row in ``state`` (else the first not yet visited, else the first)."""
    rows = [r for r in app.vm("rows") if r["viewclass"] == "DueRow"]
    for wanted in (state, "not done"):
        for r in rows:
            if (
                wanted is None
                or r["due_state"] == wanted
                or (wanted == "not done" and r["due_state"] != "done")
            ):
                return r
    return rows[0]


def routine_visit(app: RemoteApp, household_id: str) -> None:
    """From the due list: visit button, outcome, "same as last", submit."""
    app.tap(row=["household_id", household_id], text="走访")
    app.tap(text="见面走访")
    app.tap(id="same_as_last")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "duelist", "back on the due list")


def sync_from_screen(app: RemoteApp) -> None:
    app.tap(id="nav_sync")
    app.tap(id="sync_now")
    app.wait_synced()


def wait_stored(app: RemoteApp, check, what: str) -> None:
    """Let the app's clock run until its store shows ``check`` (bounded): each poll is a
    driver request, served on the Kivy main thread between frames."""
    app.wait_for(check, what, timeout=15)


def shot(app: RemoteApp, name: str) -> None:
    """A screenshot to ``$TANFANG_UI_SHOTS/<name>.png`` when that is set (to look at)."""
    folder = os.environ.get("TANFANG_UI_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        app.call("screenshot", path=str(Path(folder) / f"{name}.png"))
