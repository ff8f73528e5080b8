"""``tanfang app`` (found by entry point), ``tanfang-app`` and ``python -m mobile``: one command."""

from __future__ import annotations

import logging
from pathlib import Path

import click


@click.command("app")
@click.option("--server", "server_url", default=None, help="Server URL, e.g. http://127.0.0.1:5000")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the tablet store lives (default: ~/.tanfang).",
)
@click.option("--portrait", is_flag=True, help="Open an 800×1280 window instead of 1280×800.")
def app_command(server_url: str | None, data_dir: Path | None, portrait: bool) -> None:
    """Start the tablet app on this desktop."""
    from mobile.main import run
    from mobile.platform.paths import default_data_dir
    from mobile.window import LANDSCAPE

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    size = (LANDSCAPE[1], LANDSCAPE[0]) if portrait else LANDSCAPE
    run(data_dir or default_data_dir(), server_url, size)
