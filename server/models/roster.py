"""Roster imports, one row each: a second import of the same upload is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, utcnow


class RosterImport(Base):
    """One roster import: its upload (unique: the console's confirm may arrive twice), the
    plan's fingerprint and the file's SHA-256, who and when, and what it wrote."""

    __tablename__ = "roster_import"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The console upload's id; None from the command line (which has no upload).
    upload_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    counts: Mapped[dict] = mapped_column(JSONType, default=dict)
