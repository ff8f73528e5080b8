"""Start the app on a desktop or tablet: Kivy configuration, font, then the App."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mobile.window import LANDSCAPE, configure_kivy

log = logging.getLogger(__name__)


def run(data_dir: Path, server_url: str | None = None, size: tuple[int, int] = LANDSCAPE) -> None:
    """Open the store in ``data_dir`` and run the app until its window closes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    configure_kivy(data_dir, size)
    from mobile.app import TanfangApp
    from mobile.platform.fonts import register_cjk_font

    font = register_cjk_font()
    app = TanfangApp(data_dir, server_url)
    app.font_path = font
    port = os.environ.get("TANFANG_DRIVER_PORT")
    if port:
        # UI tests drive the real widgets through this channel (never set in production).
        from mobile.testing.driver import Driver

        Driver(app, int(port)).start()
    app.run()
