"""Two workers claiming at once on PostgreSQL: one takes the tick, the other passes over
the row without waiting for it (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.extensions import db
from server.services.core.transaction import unit_of_work
from server.services.jobs import claims
from server.services.jobs.ticks import JobSpec
from tests.factories import keep_loaded_after_commit
from tests.locking import Racer

pytestmark = pytest.mark.postgres_only

TZ = "Asia/Shanghai"
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DUE = START + timedelta(hours=1)
SPECS = [JobSpec(name, lambda *_: "", name, at=time(21, 0)) for name in ("a", "b")]


@pytest.fixture
def engine(app, session):
    keep_loaded_after_commit(session)
    with unit_of_work(session):
        claims.ensure_jobs(session, SPECS, START, TZ)
    return db.engine


def _claim(session: Session, worker: str) -> str | None:
    # A claim that had to wait for the other's row lock would fail here, not pass late.
    session.execute(text("SET LOCAL lock_timeout = '3s'"))
    return claims.claim(session, worker=worker, names=["a", "b"], now=DUE)


def test_two_workers_claim_different_jobs_without_waiting(engine):
    with Session(engine, expire_on_commit=False) as first:
        assert _claim(first, "w1") == "a"  # held, not committed: the row stays locked
        second = Racer(engine, lambda s: _claim(s, "w2")).start()
        assert second.join() == "b"  # passed over "a" at once, took the next one
        third = Racer(engine, lambda s: _claim(s, "w3")).start()
        assert third.join() is None  # nothing else is due; nobody waited
        first.commit()
    with Session(engine) as after:
        assert _claim(after, "w4") is None  # both ticks are claimed
