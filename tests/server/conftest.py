"""tests/server: the server fixtures (app, client, session, world, auth, token_of, …)."""

from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here
