"""``python -m server.cli``: the ``tanfang`` command, run from a checkout."""

from server.cli import main

main()
