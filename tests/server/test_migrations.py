"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import Base, Household, SyncCounter


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_table_exists_and_the_counter_row_is_seeded(app, session):
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    assert session.scalar(select(SyncCounter.value)) == 0


def test_closed_codes_are_enforced_by_the_database(app, session, world):
    household = world.household()
    session.commit()
    with pytest.raises(IntegrityError, match="(?i)check"):
        session.execute(
            update(Household)
            .where(Household.id == household.id)
            .values(hardship_level=literal_column("'lowest'"))
        )
    session.rollback()
