"""The ``tanfang`` command: Flask's CLI with the app already built."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from flask.cli import FlaskGroup


def _create_app():
    from server.app import create_app

    # The command line is an entry point, so it (not the library) decides how logs look.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return create_app()


main = FlaskGroup(
    name="tanfang",
    create_app=_create_app,
    add_version_option=False,
    help="Tanfang (探访) server: demo, serve, database, users and demo data.",
)


def _add_group_commands() -> None:
    # The tablet client needs no app (it talks HTTP), and the demo must make its secret key
    # before the app is built, so both hang on the group itself.
    from server.cli import commands, sync_client

    main.add_command(sync_client.group)
    main.add_command(commands.demo)
    # Other packages add subcommands by entry point (`tanfang app` comes from mobile), so
    # the server never imports them: DESIGN §2's dependency rule.
    for entry in entry_points(group="tanfang.commands"):
        main.add_command(entry.load(), entry.name)


_add_group_commands()
