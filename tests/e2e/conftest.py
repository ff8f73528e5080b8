"""tests/e2e: the server fixtures, with every ``world`` a live one.

These tests drive a real tablet store against the app in-process and over real HTTP
(``live_server``), so the world's committed rows must stay loaded (``live_world``).
"""

import pytest

from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here


@pytest.fixture
def world(live_world):
    return live_world
