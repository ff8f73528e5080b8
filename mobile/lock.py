"""The tablet's PIN: set after sign-in, asked to unlock, blocked after 5 wrong tries.

Only a salted PBKDF2 hash is kept (in the store's state). Nothing here ever deletes a
record: a wrong PIN, a block or a sign-out only decide whether the screens open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

MAX_FAILURES = 5
IDLE_SECONDS = 5 * 60
_ITERATIONS = 120_000
_PIN = re.compile(r"^[0-9]{6}$")


class PinError(ValueError):
    """The PIN is not six digits."""


def valid_pin(pin: str) -> bool:
    """Six ASCII digits."""
    return bool(_PIN.match(pin or ""))


def _digest(pin: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ITERATIONS).hex()


class PinLock:
    """PIN state kept through a store's ``get_state``/``set_state`` (``pin``, ``pin_failures``)."""

    def __init__(self, store) -> None:
        self.store = store

    @property
    def has_pin(self) -> bool:
        """A PIN has been set since the last password sign-in."""
        return bool(self.store.get_state("pin"))

    @property
    def failures(self) -> int:
        """Wrong PINs in a row."""
        return int(self.store.get_state("pin_failures") or 0)

    @property
    def blocked(self) -> bool:
        """Too many wrong PINs: only an online sign-in with the password opens the app."""
        return self.failures >= MAX_FAILURES

    def set_pin(self, pin: str) -> None:
        """Replace the PIN and forget past failures."""
        if not valid_pin(pin):
            raise PinError("the PIN must be six digits")
        salt = os.urandom(16)
        self.store.set_state("pin", {"salt": salt.hex(), "hash": _digest(pin, salt)})
        self.store.set_state("pin_failures", 0)

    def check(self, pin: str) -> bool:
        """True for the right PIN (failures reset); a wrong one counts towards the block."""
        stored = self.store.get_state("pin")
        if not stored or self.blocked:
            return False
        good = hmac.compare_digest(_digest(pin, bytes.fromhex(stored["salt"])), stored["hash"])
        self.store.set_state("pin_failures", 0 if good else self.failures + 1)
        return good

    def clear(self) -> None:
        """Forget the PIN (a new password sign-in sets a new one); records stay."""
        self.store.set_state("pin", None)
        self.store.set_state("pin_failures", 0)
