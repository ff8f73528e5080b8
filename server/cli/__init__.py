"""The ``tanfang`` command: another package's command runs without loading the server."""

from __future__ import annotations

import sys

from server.cli import index, outside


def main(argv: list[str] | None = None) -> None:
    """Run ``tanfang ARGS``; exits like any click command.

    ``tanfang app`` (any :mod:`server.cli.outside` command named first) is dispatched before
    Flask, SQLAlchemy and Alembic are imported: they added 1–2 s to the tablet app's cold
    start. Everything else goes to the server's command line, :mod:`server.cli.group`
    (a server command's name is known without reading the installed packages' entry points).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    name = args[0] if args and not args[0].startswith("-") else None
    found = None if name is None or index.is_server_command(name) else outside.command(name)
    if found is not None:
        found.main(args[1:], prog_name=f"tanfang {args[0]}")
        return
    from server.cli.group import cli

    cli.main(args, prog_name="tanfang")
