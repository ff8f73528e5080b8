"""``tanfang area import``: the area tree from the statistical division codes file."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from server.cli.roster import operator


@click.group("area", cls=AppGroup)
def group() -> None:
    """The area tree (district → street → community)."""


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and report, write nothing")
def import_command(file: Path, dry_run: bool) -> None:
    """Create and rename areas from FILE (统计用区划代码: 12-digit codes and names, CSV or
    XLSX), all or nothing; areas the file lacks stay. Exit 1 if a row is refused."""
    # Imported here, not above: ``tanfang area import --help`` must not load the server.
    from server import context
    from server.extensions import db
    from server.services.core.errors import Invalid
    from server.services.core.transaction import unit_of_work
    from server.services.roster import area_tree

    try:
        rows = area_tree.read_areas(file.read_bytes(), file.name)
    except Invalid as error:
        for key, messages in error.errors.items():
            for message in messages:
                click.echo(f"{key}: {message}", err=True)
        sys.exit(1)
    session = db.session
    if dry_run:
        plan = area_tree.check_areas(session, operator(), rows)
        session.rollback()
    else:
        with unit_of_work(session):
            plan = area_tree.import_areas(session, operator(), rows, context.now())
    line = "  ".join(f"{area_tree.ACTIONS[k]} {v}" for k, v in plan.counts.items())
    click.echo(
        f"{len(plan.results)} rows: {line}  (系统中有、文件中没有的区域 {plan.not_in_file}：保留)"
    )
    for result in plan.refused[:50]:
        click.echo(f"  第 {result.row} 行 {result.code} {result.name}：{result.message}", err=True)
    if plan.refused:
        click.echo("refused rows: nothing was imported.", err=True)
        sys.exit(1)
    if plan.written:
        click.echo("imported.")
