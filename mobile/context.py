"""What every view-model shares: the store, settings, the sync runner, the clock and the PIN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from mobile.lock import PinLock
from mobile.platform import paths
from mobile.platform.gps import Locator
from mobile.settings import Settings
from mobile.syncer import Post, SyncRunner
from sync.schedule import DEFAULT_TZ
from sync.store import SQLiteStore


def _now_in(tz: ZoneInfo) -> datetime:
    return datetime.now(tz)


@dataclass
class AppContext:
    """The app's services, built once at start (tests build one around a temporary store)."""

    data_dir: Path
    store: SQLiteStore
    settings: Settings
    runner: SyncRunner
    post: Post
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))
    locator: Locator = field(default_factory=Locator)
    clock: Callable[[ZoneInfo], datetime] = _now_in
    font_ok: bool = True
    wiped_at: datetime | None = None  # this run wiped the tablet (the sign-in says so)

    @property
    def lock(self) -> PinLock:
        """The PIN state (kept in the store)."""
        return PinLock(self.store)

    def now(self) -> datetime:
        """The aware local time (the area's time zone)."""
        return self.clock(self.tz)

    def today(self) -> date:
        """Today in the area's time zone: the due list's day."""
        return self.now().date()

    def reset_store(self) -> None:
        """After a wipe: a new, empty store where the old one was (the runner's too)."""
        self.store = SQLiteStore(paths.store_path(self.data_dir))
        self.runner.store = self.store

    def save_settings(self) -> None:
        """Write the settings file."""
        self.settings.save(paths.settings_path(self.data_dir))

    @classmethod
    def open(cls, data_dir: Path, post: Post, server_url: str | None = None) -> AppContext:
        """Open (or create) the store and settings in ``data_dir``."""
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = Settings.load(paths.settings_path(data_dir))
        if server_url:
            settings.server_url = server_url
        store = SQLiteStore(paths.store_path(data_dir))
        url = settings.server_url or store.get_state("server_url") or ""
        settings.server_url = url
        return cls(data_dir, store, settings, SyncRunner(store, url, post), post)
