"""tests/reliability: the server fixtures (app, session, live_server, live_world, …)."""

from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here
