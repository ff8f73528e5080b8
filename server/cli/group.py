"""The server's command line: Flask's CLI group, importing each command only when it runs."""

from __future__ import annotations

import importlib
import logging

import click
from flask.cli import FlaskGroup

from server import config as settings
from server.cli import index, outside


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


def _load(target: str) -> click.Command:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class _Group(FlaskGroup):
    """Flask's group, but it never builds the app to find or list a command, and it imports
    a command's module only when that command is asked for (click's lazy group).

    The commands that need the app build it when they run (``with_appcontext``), so
    ``tanfang --help`` and each command's ``--help`` work before any setting is made (Flask's
    own group builds the app for them, which needs the key). The listing takes each
    summary from :data:`server.cli.index.COMMANDS`, importing none of them.
    """

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands:
            found = self._find(name)
            if found is not None:
                self.add_command(found, name)
        return click.Group.get_command(self, ctx, name)

    @staticmethod
    def _find(name: str) -> click.Command | None:
        if name in index.COMMANDS:
            return _load(index.COMMANDS[name][0])
        return None if index.is_server_command(name) else outside.command(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *index.COMMANDS, *outside.names()})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Click's listing, with a stand-in carrying the summary for a command not yet loaded.
        listed = [(name, self._listed(ctx, name)) for name in self.list_commands(ctx)]
        listed = [(name, command) for name, command in listed if not command.hidden]
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in listed])

    def _listed(self, ctx: click.Context, name: str) -> click.Command:
        if name in self.commands or name not in index.COMMANDS:
            return self.get_command(ctx, name)
        return click.Command(name, help=index.COMMANDS[name][1])


cli = _Group(
    name="tanfang",
    create_app=_create_app,
    add_version_option=False,
    help="Tanfang (探访) server: demo, serve, database, users and demo data.",
)
