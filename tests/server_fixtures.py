"""Server fixtures for every test package: the migrated database, the app, clients, an
``auth`` helper, factories, and the app behind a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db
from server.models import Area, Base, User
from server.services import auth as auth_service
from server.services import households, users
from server.services.transaction import unit_of_work
from server.services.versioning import COUNTER_ID
from sync.schedule import DEFAULT_TZ
from tests.server import idnumbers

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A cheap hash keeps the suite fast; production uses scrypt (Config).
        "PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "SECRET_KEY": "test",
    }


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    """Run the real migrations once on the empty test database."""
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
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    return db.session


class World:
    """A small district: 2 streets with 2 communities each, and users in every role."""

    def __init__(self, session):
        self.session = session
        self._n = itertools.count(1)
        self.district = Area(code="D1", name="测试区", kind="district")
        self.street_a = Area(code="SA", name="甲街道", kind="street", parent=self.district)
        self.street_b = Area(code="SB", name="乙街道", kind="street", parent=self.district)
        self.community = {
            code: Area(code=code, name=f"{code}社区", kind="community", parent=parent)
            for code, parent in (
                ("A1", self.street_a),
                ("A2", self.street_a),
                ("B1", self.street_b),
                ("B2", self.street_b),
            )
        }
        session.add_all([self.district, self.street_a, self.street_b, *self.community.values()])
        session.commit()
        self.admin = self.user("admin", self.district)
        self.sup_a = self.user("supervisor", self.street_a)
        self.sup_b = self.user("supervisor", self.street_b)
        self.sup_district = self.user("supervisor", self.district)
        self.adv_a = self.user("advisor", self.street_a)
        self.adv_b = self.user("advisor", self.street_b)

    def user(self, role: str, area: Area, username: str | None = None) -> User:
        with unit_of_work(self.session):
            return users.create_user(
                self.session,
                actor=None,
                username=username or f"{role}{next(self._n)}",
                password=PASSWORD,
                role=role,
                area=area,
                display_name=f"{role} 测试",
                now=NOW,
                password_method="pbkdf2:sha256:1000",
            )

    def household_data(self, registration="A1", residence=None, advisor=None, **extra) -> dict:
        reg = self.community[registration]
        res = self.community[residence or registration]
        n = next(self._n)
        return {
            "external_id": f"HH{n:05d}",
            "head_name": f"户主{n}",
            "phone": "13800138000",
            "residence_address": f"{res.name}{n}号",
            "registration_street_id": reg.parent_id,
            "registration_community_id": reg.id,
            "residence_street_id": res.parent_id,
            "residence_community_id": res.id,
            "categories": ["dibao"],
            "hardship_level": "medium",
            "enrolled_on": date(2025, 1, 10),
            "assigned_advisor_id": advisor.id if advisor else None,
            **extra,
        }

    def household(self, registration="A1", residence=None, advisor=None, persons=None, **extra):
        persons = persons if persons is not None else [self.person_data()]
        with unit_of_work(self.session):
            return households.create_household(
                self.session,
                actor=None,
                now=NOW,
                tz=DEFAULT_TZ,
                persons=persons,
                data=self.household_data(registration, residence, advisor, **extra),
            )

    def person_data(self, birth=date(1960, 5, 1), male=True, **extra) -> dict:
        return {
            "name": "张三",
            "id_number": idnumbers.make(birth, male),
            "gender": "male" if male else "female",
            "birth_date": birth,
            "relation": "head",
            "health": "chronic",
            "labour_capacity": "partial",
            "employment": "flexible",
            **extra,
        }


@pytest.fixture
def world(session) -> World:
    return World(session)


class AuthActions:
    """Sign in through the real endpoint and build Authorization headers."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, device_id: str = "tablet-1"):
        return self.client.post(
            "/api/v1/auth/token",
            json={
                "username": username,
                "password": password,
                "device_id": device_id,
                "device_name": "测试平板",
                "app_version": "0.1.0",
            },
        )

    def headers(self, user: User, device_id: str = "tablet-1") -> dict[str, str]:
        response = self.login(user.username, device_id=device_id)
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def token_of(session):
    """Issue a token directly through the service (no HTTP), for speed in scope tables."""

    def issue(user: User) -> dict[str, str]:
        policy = auth_service.LoginPolicy(timedelta(days=1), timedelta(minutes=15), 5, 30)
        with unit_of_work(session):
            issued = auth_service.issue_token(
                session,
                username=user.username,
                password=PASSWORD,
                device_id="svc",
                device_name="",
                app_version="",
                remote_addr="127.0.0.1",
                now=datetime.now(UTC),
                policy=policy,
            )
        return {"Authorization": f"Bearer {issued.token}"}

    return issue


@pytest.fixture
def live_server(app, session) -> Iterator[str]:
    """The app behind a real HTTP server on 127.0.0.1 (a free port), in a daemon thread.

    Committed rows stay readable in the test thread without a new transaction: on SQLite
    every transaction begins IMMEDIATE (takes the write lock), so a lazy reload here would
    block the server thread's writes until it ended.
    """
    session().expire_on_commit = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
