"""Shared by every test: the database (SQLite, or PostgreSQL when configured) and the
``postgres_only`` marker. The server fixtures are not here: each package that needs the
app imports them in its own conftest (``from tests.server_fixtures import *``), so the
pure tests/sync suite runs without loading Flask or SQLAlchemy."""

from __future__ import annotations

import os

import pytest

PG_URL = os.environ.get("TANFANG_TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    """Start from an empty schema: the test database is scratch space."""
    # Imported here, not at the top: this conftest is loaded by the pure tests too.
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database the suite runs on: PostgreSQL if TANFANG_TEST_DATABASE_URL is set.

    Session-wide and defined once, here, so every package shares one database (each
    package's copy of ``migrated`` finds it already at head)."""
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``postgres_only`` skip, saying why, when the suite runs on SQLite."""
    if PG_URL:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set TANFANG_TEST_DATABASE_URL (CI runs it in the PG pass)"
    )
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
