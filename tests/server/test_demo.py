"""Demo data: realistic proportions, valid ID numbers, deterministic for a seed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from server.demo import load_demo
from server.models import Area, Household, Interview, Person, User, Visit
from server.services.core.transaction import unit_of_work
from sync.enums import Category
from sync.fields import resident_id
from sync.schedule import DEFAULT_TZ

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo(session):
    with unit_of_work(session):
        load_demo(session, households=300, password="demo-password", tz=DEFAULT_TZ, today=TODAY)
    return session


def test_areas_and_accounts(demo):
    kinds = dict(demo.execute(select(Area.kind, func.count()).group_by(Area.kind)).all())
    assert kinds == {"district": 1, "street": 3, "community": 9}
    roles = dict(demo.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert roles == {"advisor": 6, "supervisor": 2, "admin": 1}


def test_households_are_plausible(demo):
    households = demo.scalars(select(Household)).all()
    assert len(households) == 300
    separated = sum(h.separated for h in households) / len(households)
    assert 0.10 <= separated <= 0.20
    levels = {
        lvl: sum(h.hardship_level == lvl for h in households) for lvl in ("high", "medium", "low")
    }
    assert levels["medium"] > levels["low"] > 0 and levels["high"] > 0
    assert all(h.categories and set(h.categories) <= set(Category.codes()) for h in households)
    assert all(h.assigned_advisor_id for h in households)
    assert all(h.persons for h in households)


def test_every_member_has_a_valid_id_number_matching_their_birth(demo):
    people = demo.scalars(select(Person)).all()
    assert len(people) >= 300
    for person in people:
        assert resident_id(person.id_number) == person.id_number
        assert person.id_number[:6] != "440100"  # a district's code, not the city's
        assert ric.get_birth_date(person.id_number) == person.birth_date
        assert (int(person.id_number[16]) % 2 == 1) == (person.gender == "male")


def test_visit_history_spans_eighteen_months(demo):
    first, last = demo.execute(select(func.min(Visit.visited_at), func.max(Visit.visited_at))).one()
    assert first.date() <= TODAY - timedelta(days=500)
    assert last.date() <= TODAY
    outcomes = dict(demo.execute(select(Visit.outcome, func.count()).group_by(Visit.outcome)).all())
    assert outcomes["completed"] > 5 * outcomes["not_home"] > 0
    assert demo.scalar(select(func.count()).select_from(Interview)) > 0
    assert first.tzinfo is not None


def test_same_seed_same_data(session):
    def snapshot():
        with unit_of_work(session):
            load_demo(
                session, households=15, password="demo-password", tz=DEFAULT_TZ, seed=7, today=TODAY
            )
        rows = session.execute(
            select(Household.id, Household.head_name, Household.phone).order_by(
                Household.external_id
            )
        ).all()
        visits = session.execute(select(Visit.id, Visit.visited_at).order_by(Visit.id)).all()
        return rows, visits

    from tests.server_fixtures import _empty_tables

    first = snapshot()
    _empty_tables()
    assert snapshot() == first
