"""Claiming a due job for a lease, and finishing it: two workers never run one tick."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.models import Job, User
from server.services.core import audit
from server.services.jobs.ticks import JobSpec, next_tick, retry_at

# How long a claim holds without the worker finishing: past it, another worker takes the
# tick (the first one crashed or hangs). Longer than any job's run.
LEASE = timedelta(minutes=30)
# A job's last error is kept this short (the console and `worker --status` show it).
MAX_ERROR = 500


def ensure_jobs(session: Session, specs: list[JobSpec], now: datetime, tz: str) -> None:
    """A row for every job, first due at its next regular tick (existing rows untouched)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for spec in specs:
        session.execute(
            insert(Job)
            .values(
                name=spec.name,
                next_run_at=next_tick(spec, now, tz),
                last_summary="",
                last_error="",
                failures=0,
                runs=0,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )


def claim(session: Session, *, worker: str, names: list[str], now: datetime) -> str | None:
    """Claim the most overdue job among ``names`` that is due and not claimed (or whose
    claim has lapsed), for :data:`LEASE`; its name, or None when nothing is due.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a second worker passes over a row the first
    is claiming instead of waiting for it and then claiming it too; on SQLite the unit of
    work's ``BEGIN IMMEDIATE`` serialises claims. The UPDATE re-checks the claim, so even
    a row read unlocked could not be claimed twice.
    """
    free = or_(Job.claimed_until.is_(None), Job.claimed_until < now)
    name = session.scalar(
        select(Job.name)
        .where(Job.name.in_(names), Job.next_run_at <= now, free)
        .order_by(Job.next_run_at, Job.name)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if name is None:
        return None
    taken = session.execute(
        update(Job)
        .where(Job.name == name, free)
        .values(claimed_by=worker, claimed_until=now + LEASE, last_started_at=now)
    )
    return name if taken.rowcount == 1 else None


def finish(
    session: Session,
    *,
    spec: JobSpec,
    worker: str,
    now: datetime,
    tz: str,
    summary: str = "",
    error: str | None = None,
) -> bool:
    """End ``worker``'s claim on the job: the tick moves on (the next regular one, or a
    retry after a failure). False when the claim was lost meanwhile (the lease passed and
    another worker took the tick): that worker's outcome stands, this one changes nothing."""
    job = session.scalar(
        select(Job).where(Job.name == spec.name, Job.claimed_by == worker).with_for_update()
    )
    if job is None:
        return False
    job.claimed_by = job.claimed_until = None
    job.last_finished_at = now
    job.runs += 1
    if error is None:
        job.last_status, job.last_summary, job.last_error, job.failures = "ok", summary, "", 0
        job.next_run_at = next_tick(spec, now, tz)
    else:
        job.last_status, job.last_error = "failed", error[:MAX_ERROR]
        job.failures += 1
        job.next_run_at = retry_at(spec, job.failures, now, tz)
    return True


def statuses(session: Session) -> list[Job]:
    """Every job's row, by name (for ``tanfang worker --status``)."""
    return list(session.scalars(select(Job).order_by(Job.name)))


def run_soon(session: Session, *, actor: User, name: str, now: datetime) -> bool:
    """An admin's "run now": the job is due at once (the next worker pass takes it; a run
    under way is not disturbed). False for an unknown job. Audited."""
    job = session.scalar(select(Job).where(Job.name == name).with_for_update())
    if job is None:
        return False
    before, job.next_run_at = job.next_run_at, now
    audit.record(
        session,
        actor=actor,
        action="run_now",
        entity="job",
        entity_id=name,
        now=now,
        diff={"next_run_at": [before.isoformat(), now.isoformat()]},
    )
    return True
