"""A district's tablets at once, scaled down (issue 8 §4; the full run is bench/load.py).

Twenty advisors' tablets, each holding unsent visits and household edits, come online
within two seconds of each other against the live server, then sync twice more. The server
must hold every visit exactly once, answer no 5xx, and every tablet must end with exactly
what a fresh tablet of its advisor pulls (the server's view of its caseload).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from bench.load_tablets import Spec, Work, burst, in_threads, server_view, set_up
from server.models import AuditEvent, DeviceMutation, Visit
from tests.factories import PASSWORD

TABLETS = 20
HOUSEHOLDS_EACH = 4
WORK = Work(visits=25, edits=3)
SPREAD_SECONDS = 2.0
ROUNDS = 3


@pytest.fixture
def tablets(live_world, session, tmp_path) -> list[Spec]:
    """One advisor per tablet, half in each street, each with a small caseload."""
    world = live_world
    specs = []
    for n in range(TABLETS):
        street, community = (world.street_a, "A1") if n % 2 else (world.street_b, "B1")
        advisor = world.user("advisor", street)
        for _ in range(HOUSEHOLDS_EACH):
            world.household(community, advisor=advisor)
        specs.append(Spec(n, advisor.username, PASSWORD, str(tmp_path / f"tablet{n}.sqlite3")))
    session.commit()  # hold no transaction while the server works
    return specs


@pytest.mark.slow
def test_a_district_comes_online_at_once(live_server, tablets, session):
    prepared = in_threads(lambda s: set_up(s, live_server, WORK), tablets, TABLETS)
    outcomes = burst(tablets, live_server, time.time() + 0.5, SPREAD_SECONDS, ROUNDS)
    views = in_threads(lambda s: server_view(s, live_server), tablets, TABLETS)

    statuses = Counter()
    for outcome in outcomes:
        statuses.update(outcome.timings.statuses)
    assert not [code for code in statuses if code >= 500], statuses
    assert all(o.timings.failed_syncs == 0 for o in outcomes), [o.timings.errors for o in outcomes]
    for outcome, (checksum, phones), (_, edits) in zip(outcomes, views, prepared, strict=True):
        assert outcome.pending == 0
        assert outcome.attention == 0
        assert outcome.checksum == checksum, f"tablet {outcome.number} did not converge"
        assert {h: phones[h] for h in edits} == edits

    saved = {visit for visits, _ in prepared for visit in visits}
    assert len(saved) == TABLETS * WORK.visits
    assert {str(v) for v in session.scalars(select(Visit.id))} == saved
    assert session.scalar(select(func.count()).select_from(Visit)) == len(saved)
    created = select(func.count()).where(
        AuditEvent.entity == "visit", AuditEvent.action == "sync_create"
    )
    assert session.scalar(created) == len(saved)  # each applied exactly once
    marks = select(func.count()).select_from(DeviceMutation)
    assert session.scalar(marks) == TABLETS * (WORK.visits + WORK.edits)
    session.commit()
