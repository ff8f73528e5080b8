"""Reusable widgets: touch-sized buttons and fields, code choosers, list rows, the sync badge."""

from __future__ import annotations

from pathlib import Path

_LOADED = False


def load() -> None:
    """Load the widgets' kv rules once (before the first screen is built)."""
    global _LOADED
    if _LOADED:
        return
    from kivy.lang import Builder

    from mobile.widgets import common  # noqa: F401 - registers the widget classes

    Builder.load_file(str(Path(__file__).with_name("common.kv")))
    _LOADED = True
