"""What a tablet reports about its outbox when it syncs (pending count, oldest pending)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def report_device(
    session: Session,
    *,
    device,
    pending: int | None,
    oldest_pending_at: datetime | None,
    now: datetime | None = None,
) -> None:
    """Store what a tablet said about its outbox, and when (for the sync-health view and the
    handover view: "nothing pending, reported after the move" needs the report's own time,
    not ``last_seen_at``, which is noted once a minute at most)."""
    if pending is None and oldest_pending_at is None:
        return
    device.pending_count, device.oldest_pending_at = pending, oldest_pending_at
    if now is not None:
        device.reported_at = now
