"""``tanfang worker``: the one long-running process for every periodic job."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from server import context
from server.extensions import db
from server.services.core.transaction import unit_of_work
from server.services.jobs import claims, registry, runner

log = logging.getLogger("server.worker")


@click.command("worker")
@click.option("--once", is_flag=True, help="run what is due now, then exit (cron, tests)")
@click.option(
    "--poll",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="seconds between looks for due jobs",
)
@click.option("--status", is_flag=True, help="list the jobs, their next run and last outcome")
@with_appcontext
def worker(once: bool, poll: float, status: bool) -> None:
    """Run the periodic jobs: cycle refresh, overdue-warning scan, sync retention.

    Start one or more (systemd, see the README); each job's tick runs once whichever
    worker claims it, a crashed worker's claim lapses after 30 minutes, and a failing job
    is retried (5 min, doubling to an hour) without stopping the others. SIGTERM lets the
    running job finish, then exits.
    """
    if status:
        _print_status()
        return
    name = f"{socket.gethostname()}:{os.getpid()}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        log.info("worker %s started: %s", name, ", ".join(s.name for s in registry.JOBS))
    while True:
        outcomes = runner.run_due(
            db.session, specs=registry.JOBS, worker=name, now=context.now, tz=context.tz()
        )
        for outcome in outcomes:
            mark = "ok" if outcome.ok else "FAILED"
            click.echo(f"{outcome.name}: {mark} — {outcome.text} ({outcome.seconds:.1f} s)")
        if once or stop.wait(poll):
            break
    if not once:
        log.info("worker %s stopped", name)


def _print_status() -> None:
    with unit_of_work(db.session):
        claims.ensure_jobs(db.session, registry.JOBS, context.now(), context.tz())
    with unit_of_work(db.session):
        rows = claims.statuses(db.session)
        zone = context.tz()
        for job in rows:
            last = job.last_status or "never run"
            when = job.next_run_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
            claimed = f"  running on {job.claimed_by}" if job.claimed_by else ""
            detail = job.last_error if job.last_status == "failed" else job.last_summary
            click.echo(f"{job.name:<20} next {when}  last: {last}{claimed}")
            if detail:
                click.echo(f"{'':<20} {detail}")
