"""Server fixtures, imported by the conftest of each package that needs the app: the
migrated database, the app, clients, an ``auth`` helper, worlds and a live HTTP server."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db
from server.models import Base, User
from server.services.sync.versioning import COUNTER_ID
from tests.factories import (
    NOW,
    PASSWORD,
    PASSWORD_METHOD,
    World,
    keep_loaded_after_commit,
    login_body,
    sign_in,
    token_for,
)

# What a conftest gets from ``from tests.server_fixtures import *``: the fixtures (pytest
# finds them by name in the conftest), plus the names older tests import from here.
__all__ = [
    "NOW",
    "PASSWORD",
    "World",
    "app",
    "auth",
    "client",
    "live_server",
    "live_world",
    "migrated",
    "runner",
    "session",
    "token_of",
    "world",
]


def _config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_METHOD": PASSWORD_METHOD,
        "SECRET_KEY": "test",
    }


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    """Run the real migrations on the test database (a no-op once it is at head: each
    package's conftest has its own copy of this fixture, the database is shared)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TANFANG_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        app = create_app(_config(database_url))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    """Delete every row (children first) and reset the sync counter."""
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.execute(
        text("INSERT INTO sync_counter (id, value) VALUES (:id, 0)"), {"id": COUNTER_ID}
    )
    db.session.commit()


@pytest.fixture
def app(migrated, tmp_path, monkeypatch) -> Iterator[Flask]:
    """An app on the migrated test database, emptied after each test."""
    monkeypatch.setenv("TANFANG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(_config(migrated))
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """``runner.invoke(args=[...])`` runs the ``tanfang`` command line on this app."""
    from server.cli.group import cli

    # The group marks the process as Flask's CLI (FLASK_RUN_FROM_CLI): undone after each run.
    runner = app.test_cli_runner(env={"FLASK_RUN_FROM_CLI": None})
    runner.invoke = functools.partial(runner.invoke, cli)
    return runner


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def world(session) -> World:
    return World(session)


@pytest.fixture
def live_world(app, session) -> World:
    """The usual world for tests beside a live server: committed rows stay loaded (see
    ``keep_loaded_after_commit``)."""
    keep_loaded_after_commit(session)
    return World(session)


class AuthActions:
    """Sign in through the real endpoint and build Authorization headers."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, device_id: str = "tablet-1"):
        """The raw answer to a sign-in (any outcome)."""
        return self.client.post(
            "/api/v1/auth/token", json=login_body(username, password, device_id)
        )

    def headers(self, user: User, device_id: str = "tablet-1") -> dict[str, str]:
        """The Authorization header of a successful sign-in."""
        return sign_in(self.client, user, device_id)


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def token_of(session):
    """``token_of(user)``: headers with a token issued directly by the service (no HTTP)."""
    return functools.partial(token_for, session)


@pytest.fixture
def live_server(app, session) -> Iterator[str]:
    """The app behind a real HTTP server on 127.0.0.1 (a free port), in a daemon thread;
    the test's committed rows stay loaded (see ``keep_loaded_after_commit``)."""
    keep_loaded_after_commit(session)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
