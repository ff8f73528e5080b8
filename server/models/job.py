"""The worker's periodic jobs: one row per job, its next tick and the claim on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base


class Job(Base):
    """A periodic job (``tanfang worker``). A worker claims a due row for a lease; the
    tick moves on only when the claimant finishes, so a crashed worker's tick is run again
    by another once the lease has passed (every job is safe to run twice)."""

    __tablename__ = "job"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    # ok | failed (None before the first run)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_summary: Mapped[str] = mapped_column(Text, default="")
    # The error's kind and a short message; never a database error's text (it names values).
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Failures in a row: the retry waits longer after each.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=0)
