"""The PIN's rules: six digits, growing delays after wrong tries, then the password; idle lock."""

from __future__ import annotations

import re

# Wrong PINs in a row before the PIN wrapping is destroyed and only the password (which
# works offline too) opens the store: 6 guesses at a million PINs.
MAX_FAILURES = 6
IDLE_SECONDS = 5 * 60
# Seconds to wait after the n-th wrong try in a row (none for the first two slips).
_DELAYS = {1: 0, 2: 0, 3: 30, 4: 60, 5: 300}
_LONGEST = 300
_PIN = re.compile(r"^[0-9]{6}$")


class PinError(ValueError):
    """The PIN is not six digits."""


def valid_pin(pin: str) -> bool:
    """Six ASCII digits."""
    return bool(_PIN.match(pin or ""))


def delay_after(failures: int) -> int:
    """Seconds before the next try after ``failures`` wrong ones in a row."""
    return _DELAYS.get(failures, _LONGEST)
