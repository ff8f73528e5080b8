"""Fixtures shared by every test: databases (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("TANFANG_TEST_DATABASE_URL")
# The app, its database and factories serve tests/server, tests/sync and tests/reliability.
pytest_plugins = ["tests.server_fixtures"]


def _reset_postgres(url: str) -> None:
    """Start from an empty schema: the test database is scratch space."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database the suite runs on: PostgreSQL if TANFANG_TEST_DATABASE_URL is set."""
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
