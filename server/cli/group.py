"""The server's command line: Flask's CLI group with every command registered on it."""

from __future__ import annotations

import copy
import logging

import click
from flask import g
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate.cli import db as migrate_group
from flask_smorest.spec import openapi_cli

from server import config as settings
from server.cli import (
    areas,
    commands,
    outside,
    prune,
    roster,
    schedule,
    sync_client,
    warnings,
    worker,
)


class Misconfigured(click.ClickException):
    """The app cannot be built as configured: one line with the fix, no traceback."""

    exit_code = 2


def _create_app():
    from server.app import create_app

    # The command line is an entry point, so it (not the library) decides how logs look.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return create_app()
    except settings.ConfigError as exc:
        raise Misconfigured(str(exc)) from None


class _Group(FlaskGroup):
    """Flask's group, but it never builds the app to find or list a command.

    Every command is registered here (those that need the app build it when they run, via
    ``with_appcontext``), so ``tanfang --help`` and each command's ``--help`` work before
    any setting is made: Flask's own group builds the app for them, which needs the key.
    """

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return click.Group.list_commands(self, ctx)


def _migrations() -> click.Group:
    """flask-migrate's ``db`` group, with its options put on ``g`` by each subcommand.

    Its own group callback builds the app to do that, and a group's callback runs before its
    subcommand reads ``--help``: ``tanfang db upgrade --help`` would need the secret key.
    """
    group = copy.copy(migrate_group)
    group.callback = None
    group.commands = {}
    for name, command in migrate_group.commands.items():
        group.add_command(_with_group_options_on_g(command), name)
    return group


def _with_group_options_on_g(command: click.Command) -> click.Command:
    original = command.callback

    @with_appcontext
    @click.pass_context
    def run(ctx: click.Context, **params):
        g.directory, g.x_arg = ctx.parent.params["directory"], ctx.parent.params["x_arg"]
        return ctx.invoke(original, **params)

    command = copy.copy(command)
    command.callback = run
    return command


def _build() -> FlaskGroup:
    group = _Group(
        name="tanfang",
        create_app=_create_app,
        add_version_option=False,
        help="Tanfang (探访) server: demo, serve, database, users and demo data.",
    )
    for command in (
        commands.demo,
        commands.serve,
        commands.user,
        commands.demo_data,
        schedule.group,
        warnings.group,
        roster.group,
        areas.group,
        prune.prune,
        worker.worker,
        # The tablet client needs no app: it talks HTTP.
        sync_client.group,
        # What the extensions put on app.cli.
        _migrations(),
        openapi_cli,
    ):
        group.add_command(command)
    # Listed and runnable here too (``tanfang --debug app``); server.cli.main runs them sooner.
    for name, command in outside.commands().items():
        group.add_command(command, name)
    return group


cli = _build()
