"""What every view-model shares: the store and its keys, settings, the sync runner, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from mobile.platform import paths
from mobile.platform.gps import Locator
from mobile.settings import Settings
from mobile.syncer import Post, SyncRunner
from mobile.vault import Vault
from mobile.vault.opening import open_at_start, open_store
from sync.schedule import DEFAULT_TZ
from sync.store import SQLiteStore


def _now_in(tz: ZoneInfo) -> datetime:
    return datetime.now(tz)


@dataclass
class AppContext:
    """The app's services, built once at start (tests build one around a temporary store)."""

    data_dir: Path
    # None while locked: the store opens only with the data key (PIN, password, or the
    # provisional device wrapping of a tablet not yet signed in).
    store: SQLiteStore | None
    settings: Settings
    runner: SyncRunner
    post: Post
    vault: Vault
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))
    locator: Locator = field(default_factory=Locator)
    clock: Callable[[ZoneInfo], datetime] = _now_in
    font_ok: bool = True
    # A password sign-in just succeeded: the PIN screen sets a new PIN instead of asking.
    pin_wanted: bool = False
    wiped_at: datetime | None = None  # this run wiped the tablet (the sign-in says so)

    def unlocked_with(self, key: bytes) -> SQLiteStore:
        """Open the store with the data key the vault just gave (once; later unlocks of
        the running app find it open)."""
        if self.store is None:
            self.store = open_store(self.data_dir, key)
            self.runner.store = self.store
            url = self.settings.server_url or self.store.get_state("server_url") or ""
            self.settings.server_url = self.runner.server_url = url
        return self.store

    def close(self) -> None:
        """Close the store (the app stops)."""
        if self.store is not None:
            self.store.close()

    def now(self) -> datetime:
        """The aware local time (the area's time zone)."""
        return self.clock(self.tz)

    def today(self) -> date:
        """Today in the area's time zone: the due list's day."""
        return self.now().date()

    def reset_store(self) -> None:
        """After a wipe: a new, empty encrypted store under a new data key (the old keys
        were shredded), the runner's too."""
        self.vault = Vault(self.data_dir)
        self.store = open_at_start(self.data_dir, self.vault)
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
        vault = Vault(data_dir)
        store = open_at_start(data_dir, vault)
        url = settings.server_url or (store.get_state("server_url") if store else "") or ""
        settings.server_url = url
        return cls(data_dir, store, settings, SyncRunner(store, url, post), post, vault)
