"""The district load test's dataset: streets, one advisor per tablet and their caseloads.

Seeded through the services (users and households exactly as the API would make them, with
their caseload assignments, audit trail and versions), once, into a template database;
each run then copies the template (``CREATE DATABASE … TEMPLATE``), which takes seconds
instead of the minutes seeding takes.
"""

from __future__ import annotations

import secrets
import time
from datetime import date, datetime

import psycopg

from bench import database
from bench.sync_data import _person

PASSWORD = "bench-password-1"
STREETS = 10  # a district's street offices; the advisors are spread over them
COMMUNITIES_PER_STREET = 2


def username(n: int) -> str:
    """The n-th advisor's (and tablet's) account name."""
    return f"adv{n:04d}"


def seed(url: str, *, advisors: int, households: int, now: datetime) -> dict:
    """Streets, ``advisors`` advisors and ``households`` households each, via the services."""
    from server import create_app
    from server.extensions import db
    from server.models import Area
    from server.services.auth import users
    from server.services.core.transaction import unit_of_work
    from server.services.households import households as household_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    started = time.perf_counter()
    with app.app_context():
        session = db.session
        with unit_of_work(session):
            district = Area(code="440104", name="越秀区", kind="district")
            streets = [
                Area(code=f"440104{s:03d}", name=f"街道{s}", kind="street", parent=district)
                for s in range(1, STREETS + 1)
            ]
            communities = [
                Area(
                    code=f"{street.code}{c:03d}",
                    name=f"{street.name}社区{c}",
                    kind="community",
                    parent=street,
                )
                for street in streets
                for c in range(1, COMMUNITIES_PER_STREET + 1)
            ]
            session.add_all([district, *streets, *communities])
        n = 0
        for a in range(advisors):
            street = streets[a % STREETS]
            community = communities[(a % STREETS) * COMMUNITIES_PER_STREET + a % 2]
            with unit_of_work(session):
                advisor = users.create_user(
                    session,
                    actor=None,
                    username=username(a),
                    password=PASSWORD,
                    role="advisor",
                    area=street,
                    display_name=f"社工{a}",
                    now=now,
                    password_method="pbkdf2:sha256:1000",
                )
                for _ in range(households):
                    n += 1
                    household_service.create_household(
                        session,
                        actor=None,
                        now=now,
                        tz=app.config["TIMEZONE"],
                        data=_household(n, street.id, community.id, advisor.id),
                        persons=[_person(n * 10 + i, i) for i in range(1 + n % 2)],
                    )
            if (a + 1) % 20 == 0:
                rate = n / (time.perf_counter() - started)
                print(f"  seeded {a + 1} advisors, {n:,} households ({rate:,.0f}/s)", flush=True)
        db.engine.dispose()
    return {
        "advisors": advisors,
        "households": households,
        "seconds": time.perf_counter() - started,
    }


def _household(n: int, street_id: int, community_id: int, advisor_id: int) -> dict:
    return {
        "external_id": f"GD440104{n:06d}",
        "head_name": f"户主{n}",
        "phone": "13800138000",
        "residence_address": f"中山路{n}号",
        "registration_street_id": street_id,
        "registration_community_id": community_id,
        "residence_street_id": street_id,
        "residence_community_id": community_id,
        "categories": ["dibao"],
        "hardship_level": ("high", "medium", "low")[n % 3],
        "enrolled_on": date(2024, 3, 1),
        "assigned_advisor_id": advisor_id,
    }


def prepare(url: str, *, advisors: int, households: int, now: datetime) -> dict:
    """A fresh copy of the seeded template for this run (one template per shape, named
    ``<database>_<advisors>x<households>``), seeding the template when it is missing or
    behind the migrations. Returns what the template holds."""
    name = database.require_scratch(url)
    source = f"{name}_{advisors}x{households}"
    template = url.rsplit("/", 1)[0] + "/" + source
    marker = database.read_marker(template)
    if marker is None:
        print(f"seeding the template database {source} (once)", flush=True)
        database.recreate_database(template)
        database.migrate(template)
        marker = seed(template, advisors=advisors, households=households, now=now)
        with psycopg.connect(database.conninfo(template), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        database.write_marker(template, marker)
    with psycopg.connect(database.conninfo(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return marker
