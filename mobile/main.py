"""Start the app on a desktop or tablet: Kivy configuration, font, then the App."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
LANDSCAPE = (1280, 800)


def configure_kivy(data_dir: Path, size: tuple[int, int] = LANDSCAPE) -> None:
    """Settings that must be made before Kivy opens its window."""
    os.environ.setdefault("KIVY_HOME", str(data_dir / "kivy"))
    Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "resizable", "1")
    Config.set("kivy", "exit_on_escape", "0")
    # The mouse (and on Android the platform's own provider) only: probing /dev/input
    # needs libmtdev and permissions a desktop user does not have.
    for option in list(Config.options("input")):
        if option != "mouse":
            Config.remove_option("input", option)
    Config.set("input", "mouse", "mouse,disable_multitouch")


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
