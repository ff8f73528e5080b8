"""The SQL due list equals sync.schedule.status for every household, on random data."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import true

from server.models import Household
from server.services.households.due import Clock, status_query, to_status
from sync.schedule import completed_days, status
from tests.factories import visit_row

TZ = "Asia/Shanghai"
ON_DATES = [
    date(2026, 3, 31),
    date(2026, 4, 1),
    date(2026, 6, 30),
    date(2026, 11, 23),
    date(2026, 12, 31),
]
EARLIEST_ON = min(ON_DATES)


def _random_instant(rng: random.Random, start: date, end: date) -> datetime:
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    # Half the visits fall within an hour of local midnight, where time zones matter.
    if rng.random() < 0.5:
        local_minutes = rng.choice([rng.randrange(0, 60), rng.randrange(23 * 60, 24 * 60)])
    else:
        local_minutes = rng.randrange(24 * 60)
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        minutes=local_minutes - 8 * 60
    )
    return local


@pytest.fixture(params=[1, 2, 3])
def random_homes(request, world, session):
    rng = random.Random(request.param)
    homes = []
    for _ in range(120):
        # Some enrol just before the first day asked about, so "new" occurs too.
        back = rng.randrange(0, 3 * 365) if rng.random() < 0.85 else rng.randrange(0, 40)
        enrolled = EARLIEST_ON - timedelta(days=back)
        since = None
        if rng.random() < 0.3:
            since = enrolled + timedelta(days=rng.randrange((EARLIEST_ON - enrolled).days + 1))
        household = world.household(
            persons=[], enrolled_on=enrolled, hardship_level=rng.choice(["high", "medium", "low"])
        )
        household.visit_cycle = rng.choice(["monthly", "quarterly", "half_yearly"])
        household.cycle_since = since
        visits = []
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8, 12])):
            visits.append(
                visit_row(
                    household,
                    _random_instant(rng, enrolled - timedelta(days=40), date(2027, 1, 10)),
                    advisor_id=world.adv_a.id,
                    outcome=rng.choice(["completed", "completed", "not_home", "refused"]),
                    status=rng.choice(["submitted", "approved", "draft", "returned"]),
                )
            )
        session.add_all(visits)
        homes.append((household, visits))
    session.commit()
    return homes


def test_sql_status_equals_python_status(random_homes, session):
    seen = set()
    for on in ON_DATES:
        clock = Clock.at(on, TZ)
        rows = {row.hid: row for row in session.execute(status_query(clock, true()))}
        assert len(rows) == len(random_homes)
        for household, visits in random_homes:
            expected = status(
                household.visit_cycle,
                completed_days(visits, TZ),
                household.enrolled_on,
                on,
                cycle_since=household.cycle_since,
            )
            got = to_status(clock, household.visit_cycle, rows[household.id])
            assert got == expected, (
                on,
                household.visit_cycle,
                household.enrolled_on,
                household.cycle_since,
                sorted(v.visited_at for v in visits),
            )
            seen.add(got.state)
    # The random data must exercise every state, or the agreement proves little.
    assert seen == {"done", "due", "overdue", "new"}


def test_households_enrolled_later_are_left_out(world, session):
    household = world.household(enrolled_on=date(2026, 12, 1))
    rows = session.execute(
        status_query(Clock.at(date(2026, 11, 23), TZ), Household.id == household.id)
    ).all()
    assert rows == []
