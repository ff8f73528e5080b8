"""The daily scan: a household overdue by more than one period gets a blue warning."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Household, Warning
from server.services.core import locks
from server.services.households import due
from server.services.warnings import raising
from sync.schedule import period_at

# "Overdue by more than one period": two or more periods missed.
MISSED_AT_LEAST = 2


def overdue_key(cycle: str, current_index: int, missed: int) -> str:
    """The key of one stretch of missed periods: the first missed period's start, so a
    household overdue for weeks keeps one warning, and a new stretch gets its own."""
    return f"overdue:{period_at(cycle, current_index - missed).start.isoformat()}"


def scan_overdue(session: Session, *, today: date, tz: str, now: datetime) -> int:
    """Raise the overdue warnings missing as of local day ``today``; returns how many were
    raised (a second run the same day raises none). Locks each household found, then its
    warnings (the lock order), so a scan and a push never raise one twice."""
    clock = due.Clock.at(today, tz)
    query = due.status_query(clock, Household.status == "active", Household.visit_cycle)
    s = query.subquery("s")
    rows = session.execute(
        select(s.c.hid, s.c.missed, s.c.visit_cycle).where(
            s.c.state == "overdue", s.c.missed >= MISSED_AT_LEAST
        )
    ).all()
    keys = {
        r.hid: overdue_key(r.visit_cycle, clock.periods[r.visit_cycle].index, r.missed)
        for r in rows
    }
    households = locks.locked(session, Household, keys)
    have = set()
    if keys:
        have = set(
            session.execute(
                select(Warning.household_id, Warning.source_key)
                .where(Warning.kind == "overdue", Warning.household_id.in_(sorted(keys)))
                .order_by(Warning.id)
                .with_for_update(of=Warning)
            ).all()
        )
    raised = 0
    for hid in sorted(keys):
        if hid in households and (hid, keys[hid]) not in have:
            raising.raise_one(session, households[hid], "overdue", keys[hid], now)
            raised += 1
    return raised
