"""Push: what every push handler shares — who pushes, a refusal, the payload hash.

It lives in core because handlers of several domains (sync, leads) raise and use them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.models import User
from sync.protocol import canonical_json

# A tablet clock may run a little fast; a record "from the future" beyond this is refused.
FUTURE_TOLERANCE = timedelta(minutes=10)


@dataclass(frozen=True)
class Pusher:
    """Whose records a push carries (``author``, an authenticated advisor), from which
    tablet, and — when a tablet changed hands — the advisor who delivered them.
    ``pulled_through``/``pulled_at``: how far this tablet had pulled for the author, and
    since when (``DeviceSync``), to tell a record made before it knew of a move."""

    author: User
    device_id: str
    delivered_by: User | None = None
    pulled_through: int = 0
    pulled_at: datetime | None = None


class Refusal(Exception):
    """One mutation refused: answered ``rejected`` (or ``conflict``), never retried."""

    def __init__(
        self,
        reason: str,
        message: str,
        errors: dict | None = None,
        status: str = "rejected",
        **extra: Any,
    ):
        super().__init__(message)
        self.result = {
            "status": status,
            "reason": reason,
            "message": message,
            "errors": errors or {},
            **extra,
        }


def payload_hash(data: dict) -> str:
    """What identifies a record's pushed data, kept on the record (replays after pruning)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8", "surrogatepass")).hexdigest()
