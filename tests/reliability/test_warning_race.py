"""Warnings raised at once by two transactions for one record: one warning (PostgreSQL).

The first transaction evaluates a submitted visit and holds its locks; a second evaluates
the same visit (a resubmission or a retry on another connection) and must wait on the
household's row lock, then find the warning the first committed — not raise its own (and
not fail on the unique key either).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Warning
from server.services.core.transaction import unit_of_work
from server.services.warnings import raising, scan
from tests.factories import NOW, keep_loaded_after_commit, nth_instant, visit_data, visit_row
from tests.locking import Racer, backend_pid, wait_until_blocked
from tests.server.sync_helpers import Tablet

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def engine(app, session):
    keep_loaded_after_commit(session)
    return db.engine


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Warning))


def test_a_push_waits_for_a_transaction_raising_the_same_warning(engine, session, world, client):
    """Two tablets of one advisor: the third unreached attempt is being evaluated on one
    connection when the fourth is pushed from the other tablet. Both name the same run (its
    first visit): the push waits on the household, then finds the warning — one in all."""
    home = world.household("A1", advisor=world.adv_a)
    one, other = Tablet(client, world.adv_a), Tablet(client, world.adv_a)
    for n in (1, 2):
        data = visit_data(home, when=nth_instant(n), outcome="not_home")
        one.push([one.mutation("visit", uuid.uuid4(), data)])
    third = visit_row(home, nth_instant(3), outcome="unreachable", status="submitted")
    with unit_of_work(session):
        session.add(third)
    fourth = visit_data(home, when=nth_instant(4), outcome="not_home")

    def push(_session):
        [result] = other.push([other.mutation("visit", uuid.uuid4(), fourth)])
        return result

    with Session(engine, expire_on_commit=False) as first:
        assert len(raising.raise_for_records(first, [("visit", third.id)], NOW)) == 1
        racer = Racer(engine, push).start()
        wait_until_blocked(engine, backend_pid(first), racer)
        first.commit()
    assert racer.join()["status"] == "applied"
    assert _count(session) == 1


def test_two_evaluations_of_one_visit_raise_one_warning(engine, session, world):
    home = world.household("A1", advisor=world.adv_a)
    visit = visit_row(home, NOW - timedelta(hours=1), outcome="deceased", status="submitted")
    with unit_of_work(session):
        session.add(visit)
    records = [("visit", visit.id)]
    with Session(engine, expire_on_commit=False) as first:
        assert len(raising.raise_for_records(first, records, NOW)) == 1
        racer = Racer(engine, lambda s: raising.raise_for_records(s, records, NOW)).start()
        wait_until_blocked(engine, backend_pid(first), racer)
        first.commit()
    assert racer.join() == []
    assert _count(session) == 1


def test_a_scan_and_a_second_scan_at_once_raise_one(engine, session, world):
    home = world.household("A1", advisor=world.adv_a, hardship_level="high")
    with unit_of_work(session):
        session.add(visit_row(home, NOW - timedelta(days=100)))
    today = NOW.date()

    def run(s):
        return scan.scan_overdue(s, today=today, tz="Asia/Shanghai", now=NOW)

    with Session(engine, expire_on_commit=False) as first:
        assert run(first) == 1
        racer = Racer(engine, run).start()
        wait_until_blocked(engine, backend_pid(first), racer)
        first.commit()
    assert racer.join() == 0
    assert _count(session) == 1
