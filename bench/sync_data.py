"""The sync benchmark's dataset: areas, a pushing and a pulling advisor, caseloads, history."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
from stdnum.cn import ric

from bench import database

PASSWORD = "bench-password-1"
PUSH_HOUSEHOLDS = 100  # the pushing advisor's caseload
PULL_HOUSEHOLDS = 500  # the pulling advisor's caseload (DESIGN §1: 100-500 per advisor)
VISITS_EACH, INTERVIEWS_EACH = 14, 4  # history per pulled household (the bundle sends 12)
CONDITIONS = [
    "家中整洁，生活基本有保障",
    "房屋较旧，居住条件一般",
    "患病在床，需要照料",
    "租住单间，收入不稳定",
    "独居老人，子女在外地",
]


def _id_number(n: int, birth: date) -> str:
    body = f"440100{birth:%Y%m%d}{n % 100:02d}{n % 10}"
    return body + ric.calc_check_digit(body + "0")


def seed(url: str, now: datetime) -> dict:
    """Areas, the two advisors and their caseloads, through the services (so every
    household has its CaseloadAssignment); the pulled caseload also gets its history."""
    from server import create_app
    from server.extensions import db
    from server.models import Area, Interview, Visit
    from server.services.auth import users
    from server.services.households import households

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    with app.app_context():
        session = db.session
        district = Area(code="440104", name="越秀区", kind="district")
        street = Area(code="440104001", name="北京街道", kind="street", parent=district)
        community = Area(code="440104001001", name="盐运西社区", kind="community", parent=street)
        session.add_all([district, street, community])
        session.commit()
        advisors = {
            name: users.create_user(
                session,
                actor=None,
                username=name,
                password=PASSWORD,
                role="advisor",
                area=street,
                display_name=name,
                now=now,
                password_method="pbkdf2:sha256:1000",
            )
            for name in ("pusher", "puller")
        }
        ids = {"street": street.id, "community": community.id}
        ids.update({name: user.id for name, user in advisors.items()})
        started = time.perf_counter()
        n = 0
        for name, count in (("pusher", PUSH_HOUSEHOLDS), ("puller", PULL_HOUSEHOLDS)):
            for _ in range(count):
                n += 1
                members = 1 if name == "pusher" else 1 + n % 3  # 2 on average
                household = households.create_household(
                    session,
                    actor=None,
                    now=now,
                    tz=app.config["TIMEZONE"],
                    data=_household(n, street.id, community.id, advisors[name].id),
                    persons=[_person(n * 10 + i, i) for i in range(members)],
                )
                if name == "puller":
                    session.add_all(
                        _history(household.id, advisors[name].id, n, now, Visit, Interview)
                    )
                if n % 50 == 0:
                    session.commit()
        session.commit()
        db.engine.dispose()
    print(f"  seeded {n} households in {time.perf_counter() - started:.1f} s", flush=True)
    return ids


def _household(n: int, street_id: int, community_id: int, advisor_id: int) -> dict:
    return {
        "external_id": f"GD440104{n:06d}",
        "head_name": f"户主{n}",
        "phone": "13800138000",
        "residence_address": f"北京街道中山路{n}号",
        "registration_street_id": street_id,
        "registration_community_id": community_id,
        "residence_street_id": street_id,
        "residence_community_id": community_id,
        "categories": ["dibao"],
        "hardship_level": ("high", "medium", "low")[n % 3],
        "enrolled_on": date(2024, 3, 1),
        "assigned_advisor_id": advisor_id,
    }


def _person(n: int, index: int) -> dict:
    birth = date(1950 + n % 60, 1 + n % 12, 1 + n % 28)
    return {
        "name": f"成员{n}",
        "id_number": _id_number(n, birth),
        "birth_date": birth,
        "gender": "male" if n % 2 else "female",
        "relation": "head" if index == 0 else "child",
        "health": "chronic",
        "labour_capacity": "partial",
        "employment": "flexible",
    }


def _history(household_id, advisor_id: int, n: int, now: datetime, visit, interview) -> list:
    rows = []
    for i in range(VISITS_EACH):
        at = now - timedelta(days=30 * i + n % 20 + 1)
        rows.append(
            visit(
                id=uuid.uuid4(),
                household_id=household_id,
                advisor_id=advisor_id,
                device_id="seed",
                visited_at=at,
                outcome="completed",
                living_conditions=CONDITIONS[(n + i) % 5],
                income_change="same",
                estimated_monthly_income=Decimal("1850.00"),
                status="approved",
                started_at=at,
                ended_at=at + timedelta(minutes=25),
            )
        )
    for i in range(INTERVIEWS_EACH):
        at = now - timedelta(days=90 * i + n % 30 + 1)
        rows.append(
            interview(
                id=uuid.uuid4(),
                household_id=household_id,
                advisor_id=advisor_id,
                device_id="seed",
                interviewed_at=at,
                interviewee_role="neighbour",
                statement="该户平时生活节俭，近期未见明显变化。",
                corroborates="yes",
                status="approved",
            )
        )
    return rows


def analyze(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum does soon after a table changes this much: without
    statistics the planner takes the 500-household caseload for one row."""
    with psycopg.connect(database.conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def visit_input(household_id: str, n: int, now: datetime) -> dict:
    """What the advisor types in for one visit (the store adds ids, status and defaults)."""
    at = now - timedelta(days=n % 28, minutes=n % 600 + 30)
    return {
        "household_id": household_id,
        "visited_at": at.isoformat(),
        "outcome": "completed",
        "living_conditions": CONDITIONS[n % 5],
        "income_change": "same",
        "estimated_monthly_income": "1850.00",
        "needs": ["medical"] if n % 7 == 0 else [],
        "notes": "按期入户",
        "started_at": at.isoformat(),
        "location": {"lat": round(23.12 + n % 97 / 1e4, 5), "lon": 113.28, "accuracy_m": 8.0},
        "ended_at": (at + timedelta(minutes=25)).isoformat(),
    }
