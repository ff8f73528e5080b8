"""One GPS fix through plyer where the device has it; nothing is invented where it has not."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Fix = dict[str, Any]


class Locator:
    """Asks plyer for location updates and keeps the latest fix (lat, lon, accuracy_m)."""

    def __init__(self) -> None:
        self.fix: Fix | None = None
        self.available = False
        self._on_fix: Callable[[Fix], None] | None = None

    def start(self, on_fix: Callable[[Fix], None] | None = None) -> bool:
        """Start listening; False (and no fix ever) where the platform has no GPS."""
        self._on_fix = on_fix
        from kivy.utils import platform

        if platform not in ("android", "ios"):
            # plyer has no GPS backend elsewhere and prints a traceback on asking: one line.
            log.info("no GPS on this platform (%s)", platform)
            return False
        try:
            from plyer import gps

            gps.configure(on_location=self._location)
            gps.start(minTime=1000, minDistance=0)
        except (ImportError, NotImplementedError, ModuleNotFoundError, AttributeError) as error:
            # Desktops have no plyer GPS backend: say so once, never make a position up.
            log.info("no GPS on this platform (%s)", type(error).__name__)
            self.available = False
            return False
        self.available = True
        return True

    def stop(self) -> None:
        """Stop listening (saves battery between visits)."""
        if not self.available:
            return
        from plyer import gps

        gps.stop()

    def _location(self, **values: Any) -> None:
        if "lat" not in values or "lon" not in values:
            return
        accuracy = values.get("accuracy")
        self.fix = {
            "lat": float(values["lat"]),
            "lon": float(values["lon"]),
            "accuracy_m": float(accuracy) if accuracy is not None else None,
        }
        if self._on_fix:
            self._on_fix(self.fix)
