"""``tanfang schedule``: the due list at a terminal, and the nightly cycle refresh."""

from __future__ import annotations

import csv
import sys
import unicodedata
from datetime import date, datetime

import click
from flask.cli import AppGroup

from server import context
from server.extensions import db
from server.models import User
from server.services.auth import users
from server.services.core.transaction import unit_of_work
from server.services.households import schedule

# The command line runs as the operator of the server: it sees everything, like an admin.
_OPERATOR = User(username="cli", role="admin", display_name="command line")
COLUMNS = (
    "external_id",
    "head_name",
    "state",
    "missed",
    "days_left",
    "last_visit",
    "cycle",
    "reason",
)


@click.group("schedule", cls=AppGroup)
def group() -> None:
    """Visit schedule: due lists and cycle refresh."""


@group.command("due")
@click.option("--street", required=True, help="street code or id")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), help="local date (today)")
@click.option(
    "--state", "states", multiple=True, type=click.Choice(["overdue", "due", "done", "new"])
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def due(street: str, on: datetime | None, states: tuple[str, ...], fmt: str, lang: str) -> None:
    """Print a street's due list, overdue first."""
    area = users.find_area(db.session, street)
    if area is None or area.kind != "street":
        raise click.BadParameter(f"no street {street!r}", param_hint="--street")
    tz = context.tz()
    day: date = on.date() if on else context.today()
    query = schedule.DueQuery(on=day, street_id=area.id, states=frozenset(states))
    page = schedule.due_list(
        db.session, _OPERATOR, query, tz=tz, page=1, page_size=10_000_000, lang=lang
    )
    rows = [
        (
            i.household.external_id,
            i.household.head_name,
            i.status.state,
            i.status.missed_periods,
            i.status.days_left,
            i.status.last_visit.isoformat() if i.status.last_visit else "",
            i.household.visit_cycle,
            i.reason,
        )
        for i in page.items
    ]
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return
    click.echo(f"{area.name} — {day.isoformat()} — {page.total} households")
    widths = [
        max([_width(str(r[i])) for r in rows] + [_width(c)]) for i, c in enumerate(COLUMNS[:-1])
    ]
    for row in [COLUMNS, *rows]:
        cells = [_pad(str(v), w) for v, w in zip(row[:-1], widths, strict=True)]
        click.echo("  ".join([*cells, str(row[-1])]))


def _width(text: str) -> int:
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@group.command("refresh")
def refresh() -> None:
    """Recompute every household's cycle (run nightly: overrides expire by date)."""
    now = context.now()
    with unit_of_work(db.session):
        changed = schedule.refresh_all(
            db.session,
            policy=schedule.get_policy(db.session),
            today=schedule.local_today(context.tz(), now),
            actor=None,
            now=now,
        )
    click.echo(f"{changed} households changed cycle.")
