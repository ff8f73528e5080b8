"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from string import Template

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, literal_column, make_url, select, text, update
from sqlalchemy.exc import IntegrityError

from server import create_app
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


# An existing database at 0009 holding real rows: every later migration must carry them
# over (on SQLite a batch migration rebuilds a table, which foreign keys can refuse).
_IDS = {"h": "1" * 32, "p": "2" * 32, "v": "3" * 32, "i": "4" * 32, "c1": "5" * 32, "c2": "6" * 32}
_ROWS_AT_0009 = [
    "INSERT INTO area (id, code, name, kind, parent_id) VALUES (1, 'd', '区', 'district', NULL)",
    "INSERT INTO area (id, code, name, kind, parent_id) VALUES (2, 's', '街道', 'street', 1)",
    "INSERT INTO area (id, code, name, kind, parent_id) VALUES (3, 'c', '社区', 'community', 2)",
    "INSERT INTO user_account (id, username, display_name, password_hash, role, area_id,"
    " active, created_at) VALUES (1, 'adv', '顾问', 'x', 'advisor', 3, TRUE,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO household (id, version, external_id, head_name, residence_address,"
    " registration_street_id, registration_community_id, residence_street_id,"
    " residence_community_id, categories, hardship_level, visit_cycle, status, enrolled_on,"
    " notes, field_versions, assigned_advisor_id) VALUES ('${h}', 1, 'E1', '张三', '一号',"
    " 2, 3, 2, 3, '[]', 'high', 'monthly', 'active', '2026-01-01', '', '{}', 1)",
    "INSERT INTO person (id, version, household_id, name, id_number, gender, birth_date,"
    " relation, health, labour_capacity, employment) VALUES ('${p}', 1, '${h}', '张三',"
    " '110101199001011234', 'male', '1990-01-01', 'head', 'healthy', 'full', 'employed')",
    "INSERT INTO visit (id, version, household_id, advisor_id, device_id, visited_at,"
    " outcome, persons_met, living_conditions, income_change, needs, situation, urgent,"
    " findings, notes, status) VALUES ('${v}', 1, '${h}', 1, 'tab', '2026-02-01 00:00:00',"
    " 'completed', '[]', '', 'same', '[]', 'none', FALSE, '{}', '', 'submitted')",
    "INSERT INTO interview (id, version, household_id, advisor_id, device_id,"
    " interviewed_at, interviewee_role, statement, corroborates, findings, notes, status)"
    " VALUES ('${i}', 1, '${h}', 1, 'tab', '2026-02-02 00:00:00', 'neighbour', '', 'yes',"
    " '{}', '', 'submitted')",
    "INSERT INTO caseload_assignment (id, version, household_id, advisor_id, assigned_at)"
    " VALUES ('${c1}', 1, '${h}', 1, '2026-01-01 00:00:00')",
]


def _sql(statement: str):
    return text(Template(statement).substitute(_IDS))


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """A database of its own (the shared one is at head): a SQLite file, or on PostgreSQL
    a throwaway database next to the test one, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    base = make_url(database_url)
    name = f"{base.database}_upgrade"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_0009_keeps_the_rows(scratch_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TANFANG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "test"}
    )
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0009")
        with db.engine.begin() as conn:
            for statement in _ROWS_AT_0009:
                conn.execute(_sql(statement))
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            head = ScriptDirectory(directory).get_current_head()
            assert conn.scalar(_sql("SELECT version_num FROM alembic_version")) == head
            counts = {
                table: conn.scalar(_sql(f"SELECT count(*) FROM {table}"))
                for table in (
                    "area",
                    "user_account",
                    "household",
                    "person",
                    "visit",
                    "interview",
                    "caseload_assignment",
                )
            }
            status = conn.scalar(_sql("SELECT household_status FROM person WHERE id = '${p}'"))
        assert counts == {
            "area": 3,
            "user_account": 1,
            "household": 1,
            "person": 1,
            "visit": 1,
            "interview": 1,
            "caseload_assignment": 1,
        }
        assert status == "active"
        # The new rules hold on the carried-over rows: a member follows its household's
        # status, and a second open assignment of the household is refused.
        with db.engine.begin() as conn:
            conn.execute(_sql("UPDATE household SET status = 'closed' WHERE id = '${h}'"))
        with db.engine.connect() as conn:
            assert (
                conn.scalar(_sql("SELECT household_status FROM person WHERE id = '${p}'"))
                == "closed"
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                _sql(
                    "INSERT INTO caseload_assignment (id, version, household_id, advisor_id,"
                    " assigned_at) VALUES ('${c2}', 2, '${h}', 1, '2026-01-02 00:00:00')"
                )
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(_sql("UPDATE person SET household_status = 'active'"))
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        db.engine.dispose()


def test_0015_keeps_warnings_takes_the_new_kinds_and_refuses_a_duplicate(
    scratch_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("TANFANG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "test"}
    )
    warning = (
        "INSERT INTO warning (id, version, household_id, source, kind, level, status, message,"
        " raised_at, street_id{extra}) VALUES ('{id}', 1, '${{h}}', 'visit_rule', '{kind}',"
        " 'red', 'open', '', '2026-02-01 00:00:00', 2{values})"
    )
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0013")
        with db.engine.begin() as conn:
            for statement in _ROWS_AT_0009[:5]:  # areas, a user, a household
                conn.execute(_sql(statement))
            conn.execute(_sql(warning.format(id="7" * 32, kind="urgent", extra="", values="")))
        upgrade(directory=directory)
        keyed = warning.format(
            id="8" * 32, kind="deceased", extra=", source_key", values=", 'visit:x'"
        )
        with db.engine.begin() as conn:
            assert conn.scalar(_sql("SELECT kind FROM warning")) == "urgent"
            conn.execute(_sql(keyed))  # a kind 0015 added
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(_sql(keyed.replace("8" * 32, "9" * 32)))
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(_sql(warning.format(id="a" * 32, kind="purple", extra="", values="")))
        # And back: without the warnings of the new kinds, 0013's schema takes the rest.
        with db.engine.begin() as conn:
            conn.execute(_sql("DELETE FROM warning WHERE kind = 'deceased'"))
        downgrade(directory=directory, revision="0013")
        with db.engine.connect() as conn:
            assert conn.scalar(_sql("SELECT count(*) FROM warning")) == 1
        db.engine.dispose()


def test_0014_keeps_the_tablets_and_adds_the_revocation_and_the_lease(
    scratch_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("TANFANG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "test"}
    )
    device = (
        "INSERT INTO device (id, device_id, name, app_version, user_id, token_hash, issued_at,"
        " expires_at, revoked_at) VALUES (1, 'tab', 'tablet', '1', 1, '${h}',"
        " '2026-01-01 00:00:00', '2027-01-01 00:00:00', '2026-02-01 00:00:00')"
    )
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0013")
        with db.engine.begin() as conn:
            for statement in (*_ROWS_AT_0009[:4], device):
                conn.execute(_sql(statement))
        upgrade(directory=directory, revision="0014")
        with db.engine.connect() as conn:
            row = conn.execute(
                _sql("SELECT device_id, revoke_kind, wiped_at, given_up FROM device")
            ).one()
            assert tuple(row) == ("tab", None, None, None)  # a sign-out stays a sign-out
            assert conn.scalar(_sql("SELECT count(*) FROM device_policy")) == 0
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(_sql("UPDATE device SET revoke_kind = 'stolen'"))
        with db.engine.begin() as conn:
            conn.execute(_sql("UPDATE device SET revoke_kind = 'lost', given_up = 2"))
        downgrade(directory=directory, revision="0013")
        with db.engine.connect() as conn:
            assert conn.scalar(_sql("SELECT count(*) FROM device")) == 1
            assert "device_policy" not in inspect(conn).get_table_names()
        db.engine.dispose()
