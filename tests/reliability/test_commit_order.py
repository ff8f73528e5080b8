"""The commit-order race (DESIGN §5): a slow writer takes a version, a fast writer commits
after it, and a puller running between them must never skip the slow row."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Household, User
from server.services.sync import pull as sync_pull
from server.services.sync.versioning import stamp

ROUNDS = 200


def _pull_all(engine, advisor_id: int, cursor: str, seen: dict) -> str:
    """Pull every page after ``cursor`` in fresh snapshots; note the versions seen."""
    while True:
        with Session(engine) as session:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            actor = session.get(User, advisor_id)
            page = sync_pull.pull(
                session, actor=actor, cursor=cursor, limit=500, now=datetime.now(UTC)
            )
        for change in page["changes"]:
            key = (change["entity"], change["id"])
            seen[key] = max(seen.get(key, 0), change["version"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return cursor


def _write(
    engine, household_id, notes: str, *, hold: float = 0.0, stamped: threading.Event | None = None
) -> None:
    with Session(engine) as session:
        household = session.get(Household, household_id)
        household.notes = notes
        if stamped is not None:
            stamp(session)  # takes its version now and holds the counter until commit
            stamped.set()
            time.sleep(hold)
        session.commit()


@pytest.mark.postgres_only
@pytest.mark.slow
def test_a_puller_never_skips_a_slow_writer(world, session):
    slow_home = world.household("A1", advisor=world.adv_a)
    fast_home = world.household("A2", advisor=world.adv_a)
    session.commit()
    engine, advisor = db.engine, world.adv_a.id
    seen: dict = {}
    cursor = _pull_all(engine, advisor, "", seen)
    missed = []
    for i in range(ROUNDS):
        stamped, done = threading.Event(), threading.Event()
        slow = threading.Thread(
            target=_write,
            args=(engine, slow_home.id, f"slow {i}"),
            kwargs={"hold": 0.02, "stamped": stamped},
        )
        fast = threading.Thread(target=_write, args=(engine, fast_home.id, f"fast {i}"))
        slow.start()
        stamped.wait(5)
        fast.start()

        def puller(done: threading.Event = done) -> None:
            nonlocal cursor
            while not done.is_set():
                cursor = _pull_all(engine, advisor, cursor, seen)

        pulling = threading.Thread(target=puller)
        pulling.start()
        slow.join(10)
        fast.join(10)
        done.set()
        pulling.join(10)
        cursor = _pull_all(engine, advisor, cursor, seen)
        with Session(engine) as check:
            for home in (slow_home, fast_home):
                version = check.scalar(select(Household.version).where(Household.id == home.id))
                if seen.get(("household", str(home.id))) != version:
                    missed.append((i, home.id, version))
    assert missed == []
    assert seen[("household", str(slow_home.id))] < seen[("household", str(fast_home.id))]
