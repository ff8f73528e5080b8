"""``tanfang sync-prune``: the nightly retention job for push bookkeeping and tombstones.

Not under ``tanfang sync``: that group is the headless *tablet* (it needs ``--server`` and
``--db`` and no app), whereas this runs on the server, against its database.
"""

from __future__ import annotations

import re
from datetime import timedelta

import click
from flask.cli import with_appcontext

from server import context
from server.extensions import db
from server.services.core.transaction import unit_of_work
from server.services.sync import prune as sync_prune

_AGE = re.compile(r"^(\d+)([dw])$")
# Below this a tablet that was offline over a weekend would have to pull from the start.
MIN_AGE = timedelta(days=1)


def parse_age(_ctx: click.Context | None, _param: click.Parameter | None, text: str) -> timedelta:
    """``90d`` or ``13w`` as a timedelta; at least :data:`MIN_AGE` (a click callback)."""
    match = _AGE.match(text.strip())
    if match is None:
        raise click.BadParameter("Give days or weeks, e.g. 90d or 13w.")
    number, unit = int(match[1]), match[2]
    age = timedelta(days=number * (7 if unit == "w" else 1))
    if age < MIN_AGE:
        raise click.BadParameter(f"Keep at least {MIN_AGE.days} day of bookkeeping.")
    return age


@click.command("sync-prune")
@click.option(
    "--older-than",
    "age",
    default="90d",
    callback=parse_age,
    show_default=True,
    help="remove what is older than this (days or weeks: 90d, 13w)",
)
@click.option("--dry-run", is_flag=True, help="count what would go; change nothing")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def prune(age: timedelta, dry_run: bool, batch: int) -> None:
    """Remove push answers and tombstones no tablet can still need (run it nightly)."""
    before = context.now() - age
    if dry_run:
        with unit_of_work(db.session):
            counts = sync_prune.count_prunable(db.session, before=before)
        _report("Would remove", counts)
        return
    total = sync_prune.PruneCounts()
    while True:
        # One short transaction per batch: row locks are held for one batch only.
        with unit_of_work(db.session):
            counts = sync_prune.prune_batch(db.session, before=before, limit=batch)
        total.add(counts)
        if counts.total == 0:
            break
        click.echo(f"pruned: {total.total} rows", err=True)
    _report("Removed", total)


def _report(verb: str, counts: sync_prune.PruneCounts) -> None:
    for table, count in counts.rows.items():
        click.echo(f"{verb} {count} {table} rows")
    click.echo(f"Pull cursors from before version {counts.pruned_through} start over.")
