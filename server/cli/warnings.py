"""``tanfang warnings``: the daily overdue scan (a worker will run it; cron can today)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from server import context
from server.extensions import db
from server.services.core.transaction import unit_of_work
from server.services.households import schedule
from server.services.warnings import scan


@click.group("warnings", cls=AppGroup)
def group() -> None:
    """Warnings (预警): the daily overdue scan."""


@group.command("scan")
def scan_command() -> None:
    """Raise a blue warning for each household overdue by more than one period (run daily;
    a second run the same day raises none)."""
    now = context.now()
    tz = context.tz()
    with unit_of_work(db.session):
        raised = scan.scan_overdue(db.session, today=schedule.local_today(tz, now), tz=tz, now=now)
    click.echo(f"{raised} overdue warnings raised.")
