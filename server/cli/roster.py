"""``tanfang roster import``: the monitored population's file, dry run or import."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask.cli import AppGroup

# The server's modules (SQLAlchemy, the models, the services) are imported where the command
# runs, not here: ``tanfang roster import --help`` imports this module and must stay quick.
if TYPE_CHECKING:
    from server.models import User
    from server.services import roster

# What the console says when another import created the same households first.
RACED = (
    "同一批数据的另一次导入已先完成，本次没有导入任何数据："
    "请重新试运行（--dry-run）查看现在的方案。"
)


@click.group("roster", cls=AppGroup)
def group() -> None:
    """Roster of the monitored population (低收入人口): import from CSV or XLSX."""


def operator() -> User:
    """Who the command line acts as without --as: the server's operator, like an admin."""
    from server.models import User

    return User(username="cli", role="admin", display_name="command line")


def _actor(username: str | None) -> User:
    from sqlalchemy import select

    from server.extensions import db
    from server.models import User

    if username is None:
        return operator()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role not in ("supervisor", "admin"):
        raise click.BadParameter(f"no active supervisor or admin {username!r}", param_hint="--as")
    return user


def _write_report(plan: roster.Plan, out: Path) -> None:
    from server.services.roster import report

    fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
    out.write_bytes(report.write_report(plan.results, fmt))
    click.echo(f"report: {out}", err=True)


def _summary(plan: roster.Plan, written: bool | None) -> None:
    from server.services.roster import report

    counts = plan.counts
    line = "  ".join(f"{report.ACTIONS[k]} {v}" for k, v in counts.items())
    click.echo(f"{len(plan.results)} rows ({plan.encoding}): {line}")
    for note in plan.notes:
        click.echo(f"  {note}")
    kept = sum(len(r.kept) for r in plan.results)
    if kept:
        click.echo(f"保留 {kept}: values changed since the last import stay (see --report)")
    click.echo(f"fingerprint: {plan.fingerprint}")
    for result in plan.refused[:20]:
        for line in report.result_lines(result):
            click.echo(f"  第 {line[0]} 行 {line[1]} [{line[3]}] {line[4]}", err=True)
    if len(plan.refused) > 20:
        click.echo(f"  … {len(plan.refused) - 20} more refused rows (see --report)", err=True)
    if written is True:
        click.echo("imported.")
    elif written is False:
        click.echo("nothing to change: the database already holds this file.")


def _refuse(errors: dict[str, list[str]]) -> NoReturn:
    """Print a refusal's field messages and exit 1."""
    for key, messages in errors.items():
        for message in messages:
            click.echo(f"{key}: {message}", err=True)
    sys.exit(1)


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and report, write nothing")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the row-by-row report here (.csv, UTF-8 with BOM, or .xlsx)",
)
@click.option("--as", "username", help="import as this supervisor or admin (their scope)")
@click.option(
    "--expect",
    metavar="FP",
    help="import only if the plan is still the dry run's (its fingerprint); else exit 1",
)
def import_command(
    file: Path, dry_run: bool, report_path: Path | None, username: str | None, expect: str | None
) -> None:
    """Check FILE (CSV or XLSX) and import it, all or nothing; exit 1 if a row is refused
    or (with --expect) if the plan is no longer the one the dry run showed."""
    from sqlalchemy.exc import IntegrityError

    from server.services import roster
    from server.services.core.errors import Invalid
    from server.services.roster.numbering import AlreadyImported
    from server.services.roster.write import PlanChanged

    data = file.read_bytes()
    actor = _actor(username)
    try:
        table = roster.read_table(data, file.name)
    except Invalid as error:
        _refuse(error.errors)
    with click.progressbar(length=len(table.rows), label="checking", file=sys.stderr) as bar:
        try:
            plan, written = _run(table, actor, data, dry_run, expect, bar.update)
        except PlanChanged as changed:
            click.echo(f"fingerprint: {changed.plan.fingerprint} (expected {expect})", err=True)
            click.echo(changed.errors["fingerprint"][0], err=True)
            sys.exit(1)
        except AlreadyImported as already:
            _refuse(already.errors)
        except IntegrityError:
            # Another import committed the same new households while this one waited on
            # their rows: the unique index refused the second (all of it rolled back).
            _refuse({"file": [RACED]})
    if report_path is not None:
        _write_report(plan, report_path)
    _summary(plan, written)
    if plan.refused:
        click.echo("refused rows: nothing was imported.", err=True)
        sys.exit(1)


def _run(table, actor: User, data: bytes, dry_run: bool, expect: str | None, progress):
    """The plan, and whether it was written (None for a dry run)."""
    from server import context
    from server.extensions import db
    from server.services import roster
    from server.services.core.transaction import unit_of_work
    from server.services.roster.write import RosterRefused

    session = db.session
    if dry_run:
        plan = roster.check(
            session, actor=actor, table=table, now=context.now(), tz=context.tz(), progress=progress
        )
        session.rollback()
        return plan, None
    try:
        with unit_of_work(session):
            outcome = roster.import_roster(
                session,
                actor=actor,
                table=table,
                now=context.now(),
                tz=context.tz(),
                digest=hashlib.sha256(data).hexdigest(),
                expect=expect,
                progress=progress,
            )
    except RosterRefused as refused:
        return refused.plan, None
    return outcome.plan, outcome.written
