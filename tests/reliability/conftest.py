"""Shared by the network and crash tests: a world whose rows stay readable without a
transaction, and the visits the tablets save."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.server_fixtures import World

# Tablets keep Beijing time; the store and the server must order visits by the instant.
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def live_world(app, session) -> World:
    """The usual world, built with ``expire_on_commit`` off: the live server runs on other
    threads (and subprocesses talk to it), and on SQLite every transaction begins
    IMMEDIATE, so the test thread must never reopen one just to reload a row."""
    session().expire_on_commit = False
    return World(session)


def visit_data(household_id: str, n: int) -> dict:
    """The ``n``-th visit of a run: distinct, ordered instants in the recent past."""
    start = datetime.now(UTC) - timedelta(days=20)
    return {
        "household_id": household_id,
        "outcome": "completed",
        "visited_at": (start + timedelta(minutes=7 * n)).astimezone(BEIJING).isoformat(),
        "living_conditions": f"第{n}次走访：基本生活有保障",
    }
