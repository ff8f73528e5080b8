"""When a periodic job runs next: daily at a local time, or every so often."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

# What a job does: (session, now, tz) → its counts ({"changed": 3}), kept as the job's
# summary (the console words them per job). It ends its own units of work (a long job
# commits in batches).
JobFunction = Callable[[Session, datetime, str], dict[str, int]]

# A failed job is tried again after 5 minutes, then 10, 20, 40, 60 (never later than its
# next regular tick): a database restart at 2 a.m. does not cost a day.
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class JobSpec:
    """A periodic job: daily ``at`` a local time, or ``every`` so often."""

    name: str
    run: JobFunction
    description: str
    at: time | None = None
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.at is None) == (self.every is None):
            raise ValueError(f"job {self.name}: give exactly one of at= and every=")


def next_tick(spec: JobSpec, after: datetime, tz: str) -> datetime:
    """The job's first regular tick strictly after ``after`` (UTC)."""
    if spec.every is not None:
        return after + spec.every
    zone = ZoneInfo(tz)
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), spec.at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), spec.at, tzinfo=zone)
    return candidate.astimezone(UTC)


def retry_at(spec: JobSpec, failures: int, now: datetime, tz: str) -> datetime:
    """When a job that has failed ``failures`` times in a row is tried again."""
    wait = min(FIRST_RETRY * 2 ** min(max(failures - 1, 0), 8), LONGEST_RETRY)
    return min(now + wait, next_tick(spec, now, tz))
