"""Test data for server-backed tests: a small district (World), visits, interviews, tokens."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from server.models import Area, Household, User, Visit
from server.services.auth import tokens as auth_service
from server.services.auth import users
from server.services.core.transaction import unit_of_work
from server.services.households import households
from sync.schedule import DEFAULT_TZ
from tests.server import idnumbers

PASSWORD = "correct horse battery"
# A cheap hash keeps the suite fast; production uses scrypt (Config).
PASSWORD_METHOD = "pbkdf2:sha256:1000"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# Tablets keep Beijing time; the store and the server must order visits by the instant.
BEIJING = timezone(timedelta(hours=8))


# ---------------------------------------------------------------- areas, users, households


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
        """A user signed in with ``PASSWORD``, through the service."""
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
                password_method=PASSWORD_METHOD,
            )

    def household_data(self, registration="A1", residence=None, advisor=None, **extra) -> dict:
        """A household as the API's create body has it, registered (and living) in a
        community of the world; ``residence`` elsewhere makes it 人户分离."""
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

    def household(
        self, registration="A1", residence=None, advisor=None, persons=None, **extra
    ) -> Household:
        """A household enrolled through the service (one member unless ``persons`` says)."""
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
        """A member with a valid resident ID number."""
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


def keep_loaded_after_commit(session) -> None:
    """Turn off ``expire_on_commit`` for the test's session.

    Needed whenever a live server answers on other threads (or processes talk to it): on
    SQLite every transaction begins IMMEDIATE (takes the write lock), so a lazy reload of a
    committed row in the test thread would block the server's writes until it ended.
    """
    session().expire_on_commit = False


# -------------------------------------------------------------------- visits, interviews


def _id(household) -> str:
    return household if isinstance(household, str) else str(household.id)


def visit_form(household, *, when: datetime | None = None, **extra) -> dict:
    """A visit as the tablet's form hands it to the store (which adds the id, device,
    advisor and status); ``household`` is a model or an id. By default an hour ago."""
    when = when or datetime.now(UTC) - timedelta(hours=1)
    return {
        "household_id": _id(household),
        "outcome": "completed",
        "visited_at": when.astimezone(BEIJING).isoformat(),
        "living_conditions": "基本生活有保障",
        **extra,
    }


def visit_data(
    household, *, when: datetime | None = None, status: str = "submitted", **extra
) -> dict:
    """A visit as a tablet pushes it (a mutation's ``data``): the form plus the author
    fields the wire schema requires, which the server replaces with the token's."""
    return {
        **visit_form(household, when=when),
        "status": status,
        "device_id": "ignored",
        "advisor_id": 1,
        "notes": "家中情况稳定",
        **extra,
    }


def nth_instant(n: int) -> datetime:
    """The ``n``-th of a run of distinct, ordered instants in the recent past (7 minutes
    apart, from 20 days ago), for tests that save many visits."""
    return datetime.now(UTC) - timedelta(days=20) + timedelta(minutes=7 * n)


def visit_row(household, visited_at: datetime, **columns) -> Visit:
    """A ``Visit`` row written straight to the table (no tablet, no service), approved
    and completed unless ``columns`` say otherwise: data for the due list."""
    values = {
        "id": uuid.uuid4(),
        "household_id": household.id,
        "advisor_id": 1,
        "device_id": "t",
        "visited_at": visited_at,
        "outcome": "completed",
        "status": "approved",
        **columns,
    }
    return Visit(**values)


def interview_data(household, **extra) -> dict:
    """A neighbourhood interview as a tablet pushes it."""
    return {
        "household_id": _id(household),
        "interviewed_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "interviewee_role": "neighbour",
        "statement": "邻居称其近期生活正常",
        "corroborates": "yes",
        "status": "submitted",
        "device_id": "ignored",
        "advisor_id": 1,
        **extra,
    }


# ---------------------------------------------------------------------------- tokens


def login_body(username: str, password: str = PASSWORD, device_id: str = "tablet-1") -> dict:
    """The body of ``POST /api/v1/auth/token`` as a tablet sends it."""
    return {
        "username": username,
        "password": password,
        "device_id": device_id,
        "device_name": "测试平板",
        "app_version": "0.1.0",
    }


def bearer(token: str) -> dict[str, str]:
    """The Authorization header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, user: User, device_id: str = "tablet-1") -> dict[str, str]:
    """Sign ``user`` in through the real endpoint (a Flask test client); the header."""
    response = client.post(
        "/api/v1/auth/token", json=login_body(user.username, device_id=device_id)
    )
    assert response.status_code == 201, response.get_json()
    return bearer(response.get_json()["token"])


def token_for(session, user: User, device_id: str = "svc") -> dict[str, str]:
    """A token issued by the service itself (no HTTP), for speed in role and scope tables."""
    policy = auth_service.LoginPolicy(timedelta(days=1), timedelta(minutes=15), 5, 30)
    with unit_of_work(session):
        issued = auth_service.issue_token(
            session,
            username=user.username,
            password=PASSWORD,
            device_id=device_id,
            device_name="",
            app_version="",
            remote_addr="127.0.0.1",
            now=datetime.now(UTC),
            policy=policy,
        )
    return bearer(issued.token)
