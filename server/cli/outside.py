"""Subcommands of ``tanfang`` from other packages (``tanfang app``), found by entry point.

The server never imports them (DESIGN §2): a package offers one under ``tanfang.commands``.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

GROUP = "tanfang.commands"


def command(name: str) -> click.Command | None:
    """The outside command called ``name``, if a package offers one."""
    for entry in entry_points(group=GROUP, name=name):
        return entry.load()
    return None


def names() -> list[str]:
    """The name of every outside command (none is imported)."""
    return [entry.name for entry in entry_points(group=GROUP)]
