"""Where the app keeps its store and settings on each platform."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """The app's private folder: ``TANFANG_APP_DATA``, Android's app storage, or ~/.tanfang."""
    chosen = os.environ.get("TANFANG_APP_DATA")
    if chosen:
        return Path(chosen)
    android = os.environ.get("ANDROID_PRIVATE")
    if android:
        return Path(android) / "tanfang"
    return Path.home() / ".tanfang"


def store_path(data_dir: Path) -> Path:
    """The SQLite store inside ``data_dir``."""
    return data_dir / "store.sqlite3"


def settings_path(data_dir: Path) -> Path:
    """The settings file (language, text size, server URL) inside ``data_dir``."""
    return data_dir / "settings.json"
