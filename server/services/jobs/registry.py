"""The periodic jobs the worker runs, each a plain function over the database."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from server.services.core.transaction import unit_of_work
from server.services.households import schedule
from server.services.jobs.ticks import JobSpec
from server.services.sync import prune as sync_prune
from server.services.warnings import scan

# Push bookkeeping and tombstones older than this go (the default of `tanfang sync-prune`).
SYNC_RETENTION = timedelta(days=90)
PRUNE_BATCH = 1000


def refresh_schedules(session: Session, now: datetime, tz: str) -> dict[str, int]:
    """Recompute every household's visit cycle (overrides expire by local date)."""
    with unit_of_work(session):
        changed = schedule.refresh_all(
            session,
            policy=schedule.get_policy(session),
            today=schedule.local_today(tz, now),
            actor=None,
            now=now,
        )
    return {"changed": changed}


def scan_overdue(session: Session, now: datetime, tz: str) -> dict[str, int]:
    """Raise a blue warning for each household overdue by more than one period (a second
    run the same day raises none: the warnings are keyed)."""
    with unit_of_work(session):
        raised = scan.scan_overdue(session, today=schedule.local_today(tz, now), tz=tz, now=now)
    return {"raised": raised}


def prune_sync(session: Session, now: datetime, tz: str) -> dict[str, int]:
    """Remove push answers and tombstones no tablet can still need, a batch per unit of
    work (row locks are held for one batch only)."""
    total = sync_prune.PruneCounts()
    while True:
        with unit_of_work(session):
            counts = sync_prune.prune_batch(session, before=now - SYNC_RETENTION, limit=PRUNE_BATCH)
        total.add(counts)
        if counts.total == 0:
            return {"removed": total.total}


# Local times (the configured zone): after the day's last syncs, before the first visits.
JOBS: list[JobSpec] = [
    JobSpec(
        "schedule_refresh",
        refresh_schedules,
        "recompute every household's visit cycle",
        at=time(1, 0),
    ),
    JobSpec(
        "overdue_scan",
        scan_overdue,
        "raise warnings for households overdue by more than one period",
        at=time(2, 0),
    ),
    JobSpec(
        "sync_prune",
        prune_sync,
        "remove sync bookkeeping older than 90 days",
        at=time(3, 30),
    ),
]
