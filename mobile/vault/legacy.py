"""The PIN of a store from before encryption (PBKDF2 in its state), carried over once."""

from __future__ import annotations

import hashlib
import hmac

# Exactly what the earlier app stored: {"salt": hex, "hash": hex} under "pin", and the
# wrong tries under "pin_failures"; blocked at 5.
_ITERATIONS = 120_000
_BLOCKED_AT = 5


def available(store) -> bool:
    """The (now encrypted) store still holds an earlier app's PIN that may be tried."""
    if store is None or not store.get_state("pin"):
        return False
    return int(store.get_state("pin_failures") or 0) < _BLOCKED_AT


def tries_left(store) -> int:
    """Wrong tries of the earlier PIN left before it is blocked."""
    return _BLOCKED_AT - int(store.get_state("pin_failures") or 0)


def check(store, pin: str) -> bool:
    """True for the earlier app's PIN, whose hash is then dropped (the caller wraps the
    data key under it); a wrong one counts towards the earlier app's block, as it did."""
    stored = store.get_state("pin")
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(stored["salt"]), _ITERATIONS)
    if hmac.compare_digest(digest.hex(), stored["hash"]):
        store.set_state("pin", None)
        store.set_state("pin_failures", None)
        return True
    store.set_state("pin_failures", int(store.get_state("pin_failures") or 0) + 1)
    return False
