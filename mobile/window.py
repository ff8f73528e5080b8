"""The app's window: Kivy's settings before it opens, and saving what it shows as a PNG."""

from __future__ import annotations

import os
from pathlib import Path

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


def save_window(path: str) -> str:
    """Save the window as ``path`` (Kivy's screenshot adds a counter; take it back off)."""
    from kivy.core.window import Window

    target = Path(path)
    saved = Window.screenshot(name=str(target))
    if saved:
        os.replace(saved, target)
    return str(target)
