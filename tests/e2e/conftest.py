"""tests/e2e: the server fixtures, with every ``world`` a live one.

These tests drive a real tablet store against the app in-process and over real HTTP
(``live_server``), so the world's committed rows must stay loaded (``live_world``).
"""

import pytest
import requests

from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport, InProcessTransport
from tests.factories import PASSWORD
from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here


@pytest.fixture
def world(live_world):
    return live_world


@pytest.fixture(params=["in-process", "http"])
def make_client(request, app, tmp_path):
    """Build tablets (store + client) talking to the app in-process or over real HTTP."""
    base = request.getfixturevalue("live_server") if request.param == "http" else None
    opened = []

    def make(user, name: str = "tablet", login: bool = True) -> SyncClient:
        store = SQLiteStore(tmp_path / f"{name}.sqlite3")
        if base:
            session = requests.Session()
            transport = HttpTransport(
                base, session, timeout=(2, 10), retries=2, sleep=lambda s: None
            )
        else:
            transport = InProcessTransport(app.test_client())
        client = SyncClient(store, transport, batch=7, pull_limit=5)
        if login:
            client.login(user.username, PASSWORD)
        opened.append((store, transport))
        return client

    yield make
    for store, transport in opened:
        store.close()
        transport.close()
