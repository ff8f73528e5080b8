"""tests/server/jobs: the server fixtures."""

from tests.server_fixtures import *  # noqa: F403 - pytest finds fixtures by name here
