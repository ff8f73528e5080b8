"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from server import compression, docs_page, errors, headers
from server import config as settings
from server.extensions import db, migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Tanfang app from the environment as it is now; ``config`` overrides it (tests).

    Refuses (``ConfigError``) to build one with the development secret key unless testing or
    debugging (see :func:`_settle_secret_key`), or with an unknown time zone.
    """
    app = _flask()
    app.config.from_object(settings.Config)
    app.config.update(settings.from_env(os.environ))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'tanfang.sqlite3'}"
        )
    _settle_secret_key(app)
    _check_timezone(app)

    from server import models  # noqa: F401 - registers the tables
    from server.services.sync import versioning  # noqa: F401 - installs the version hooks

    db.init_app(app)
    _sqlite_pragmas(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)

    from server import api

    api.init_app(app)
    errors.init_app(app)
    compression.init_app(app)
    headers.init_app(app)
    docs_page.init_app(app)
    from server import console

    console.init_app(app)
    return app


def _flask() -> Flask:
    return Flask(
        "server", instance_path=str(settings.instance_path()), instance_relative_config=True
    )


def _settle_secret_key(app: Flask) -> None:
    """``TANFANG_SECRET_KEY``, else the instance folder's key file, else the development key
    — which signs nothing outside tests and debugging: the console's sessions depend on it."""
    given = app.config.get("SECRET_KEY")
    if not given:
        kept = settings.instance_secret_key(Path(app.instance_path))
        app.config["SECRET_KEY"] = kept or settings.DEV_SECRET_KEY
    if app.config["SECRET_KEY"] == settings.DEV_SECRET_KEY and not (app.testing or app.debug):
        problem = "is the development secret key" if given else "is not set"
        raise settings.ConfigError(f"TANFANG_SECRET_KEY {problem}: {settings.MAKE_A_KEY}")


def _check_timezone(app: Flask) -> None:
    # An unknown zone would otherwise fail every request that needs a local date.
    try:
        ZoneInfo(app.config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise settings.ConfigError(f"TANFANG_TIMEZONE is not a known zone: {exc}") from exc


def _sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, WAL and a busy timeout so the embedded database behaves under load."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not the sqlite3 module, say when transactions begin (below):
        # sqlite3's own handling breaks savepoints and lets SELECTs run outside any
        # transaction, so one pull could read from two snapshots.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock at the start: a transaction that reads and then
        # writes can never fail to upgrade its lock (SQLITE_BUSY) halfway through.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
