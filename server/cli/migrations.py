"""``tanfang db``: flask-migrate's group, with its options put on ``g`` by each subcommand."""

from __future__ import annotations

import copy

import click
from flask import g
from flask.cli import with_appcontext
from flask_migrate.cli import db as migrate_group


def _migrations() -> click.Group:
    """flask-migrate's ``db`` group, its options handed over by each subcommand.

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


group = _migrations()
