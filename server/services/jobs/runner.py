"""One pass of the worker: claim each due job in turn, run it, finish it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server.services.core.transaction import unit_of_work
from server.services.jobs import claims
from server.services.jobs.ticks import JobSpec
from sync.protocol import canonical_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one job run did: its summary, or its error."""

    name: str
    ok: bool
    text: str
    seconds: float


def describe(error: BaseException) -> str:
    """An error as the job's row keeps it. A database error by its kind and SQLSTATE only:
    its text names the values of the row it refused."""
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None) or "-"
        return f"{type(error).__name__}/{type(error.orig).__name__} (SQLSTATE {state})"
    return f"{type(error).__name__}: {error}"


def run_due(
    session: Session,
    *,
    specs: list[JobSpec],
    worker: str,
    now: Callable[[], datetime],
    tz: str,
) -> list[Outcome]:
    """Run every job that is due, each once; a failing job is recorded (and retried
    later) and stops no other. Returns what each run did."""
    by_name = {spec.name: spec for spec in specs}
    with unit_of_work(session):
        claims.ensure_jobs(session, specs, now(), tz)
    outcomes = []
    while True:
        with unit_of_work(session):
            name = claims.claim(session, worker=worker, names=list(by_name), now=now())
        if name is None:
            return outcomes
        outcomes.append(_run_one(session, by_name[name], worker, now, tz))


def _run_one(
    session: Session, spec: JobSpec, worker: str, now: Callable[[], datetime], tz: str
) -> Outcome:
    started = time.monotonic()
    try:
        summary, error = canonical_json(spec.run(session, now(), tz)), None
    except Exception as exc:  # one job's failure is its own: recorded, retried, logged
        # (its unit of work rolled back what it had begun)
        summary, error = "", describe(exc)
    seconds = time.monotonic() - started
    with unit_of_work(session):
        kept = claims.finish(
            session, spec=spec, worker=worker, now=now(), tz=tz, summary=summary, error=error
        )
    if not kept:
        log.warning("job %s: its claim lapsed while it ran; another worker's run stands", spec.name)
    if error is None:
        log.info("job %s: %s (%.1f s)", spec.name, summary, seconds)
    else:
        log.error("job %s failed: %s (%.1f s); will retry", spec.name, error, seconds)
    return Outcome(spec.name, error is None, summary if error is None else error, seconds)
