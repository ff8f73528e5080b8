"""Pull's fast dump from table rows gives exactly what the wire schemas dump from models."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.models import Household, Interview, Person, Visit, Warning
from server.services.sync import dump as sync_dump
from sync.records import SCHEMAS
from tests.factories import interview_data, visit_data
from tests.server.sync_helpers import Tablet

MODELS = {
    "household": Household,
    "person": Person,
    "visit": Visit,
    "interview": Interview,
    "warning": Warning,
}


@pytest.fixture
def records(world, session, client):
    """Every kind of record, with optional fields both empty and filled."""
    plain = world.household("A1", advisor=world.adv_a, persons=[world.person_data()])
    full = world.household(
        "A1",
        advisor=world.adv_a,
        persons=[world.person_data(male=False)],
        phone="020-12345678",
        location={"lat": 23.12, "lon": 113.28},
        cycle_override={
            "cycle": "monthly",
            "reason": "重病在床",
            "expires_on": date(2027, 1, 1).isoformat(),
        },
    )
    session.add_all(
        [
            Warning(
                household_id=plain.id,
                source="platform",
                kind="income_drop",
                level="yellow",
                street_id=world.street_a.id,
            ),
            Warning(
                household_id=full.id,
                source="manual",
                kind="urgent",
                level="red",
                status="disposed",
                disposal="no_action",
                disposal_reason="已核实无需救助",
                due_by=datetime(2026, 12, 31, tzinfo=UTC),
                street_id=world.street_a.id,
                message="急难",
            ),
        ]
    )
    session.commit()
    tablet = Tablet(client, world.adv_a)
    when = datetime.now(UTC) - timedelta(days=1)
    person = full.persons[0].id
    results = tablet.push(
        [
            tablet.mutation("visit", uuid.uuid4(), visit_data(plain)),
            tablet.mutation(
                "visit",
                uuid.uuid4(),
                visit_data(
                    full,
                    when=when,
                    persons_met=[str(person)],
                    findings=["job_loss", "income_drop"],
                    needs=["medical"],
                    estimated_monthly_income="1234.50",
                    urgent=True,
                    suggested_level="high",
                    location={"lat": 23.1, "lon": 113.2, "accuracy_m": 5.5},
                    started_at=(when - timedelta(minutes=30)).isoformat(),
                    ended_at=when.isoformat(),
                ),
            ),
            tablet.mutation("interview", uuid.uuid4(), interview_data(plain)),
            tablet.mutation(
                "interview",
                uuid.uuid4(),
                interview_data(full, interviewee_name="王阿姨", findings=["moved"]),
            ),
        ]
    )
    assert {r["status"] for r in results} == {"applied"}
    return session


@pytest.mark.parametrize("entity", sorted(MODELS))
def test_fast_dump_equals_the_wire_schema(records, entity):
    session, model = records, MODELS[entity]
    objects = session.scalars(select(model)).all()
    assert len(objects) >= 2
    expected = {obj.id: SCHEMAS[entity]().dump(obj) for obj in objects}
    got = dict(sync_dump.records(session, model, SCHEMAS[entity], list(expected)))
    assert got == expected


def test_a_money_amount_dumps_with_two_places(records):
    visit = records.scalar(select(Visit).where(Visit.estimated_monthly_income.is_not(None)))
    assert visit.estimated_monthly_income == Decimal("1234.50")
    (_, record), *_ = sync_dump.records(records, Visit, SCHEMAS["visit"], [visit.id])
    assert record["estimated_monthly_income"] == "1234.50"
