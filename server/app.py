"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from server import compression, docs_page, errors, headers
from server.config import Config
from server.extensions import db, migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Tanfang app; ``config`` overrides :class:`~server.config.Config` (tests)."""
    instance_path = os.environ.get("TANFANG_INSTANCE_PATH")
    app = Flask(
        "server",
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'tanfang.sqlite3'}"
        )

    from server import models  # noqa: F401 - registers the tables
    from server.services import versioning  # noqa: F401 - installs the version hooks

    db.init_app(app)
    _sqlite_pragmas(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)

    from server import api

    api.init_app(app)
    errors.init_app(app)
    compression.init_app(app)
    headers.init_app(app)
    docs_page.init_app(app)
    from server.cli import commands

    commands.init_app(app)
    return app


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
