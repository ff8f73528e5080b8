"""Warnings (预警) raised by visit rules, the monitoring platform or a supervisor."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UUIDPk, Versioned, utcnow
from server.models.enumtype import enum_column
from sync.enums import Disposal, WarningKind, WarningLevel, WarningSource, WarningStatus


class Warning(UUIDPk, Versioned, Base):  # noqa: A001 - the domain's own word
    """A warning on a household, worked through open → verifying → disposed → closed."""

    __tablename__ = "warning"
    __table_args__ = (
        # The dashboard counts open warnings per level: from this index alone, not the table.
        Index(
            "ix_warning_open",
            "household_id",
            "level",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # One warning per household, kind and what raised it ("visit:<id>", "overdue:…"):
        # a resubmission or a second scan finds it instead of raising it again. Warnings
        # with no source key (manual ones) are not limited (NULLs differ).
        UniqueConstraint("household_id", "kind", "source_key"),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    source: Mapped[str] = enum_column(WarningSource)
    kind: Mapped[str] = enum_column(WarningKind)
    level: Mapped[str] = enum_column(WarningLevel)
    status: Mapped[str] = enum_column(WarningStatus, default="open")
    disposal: Mapped[str | None] = enum_column(Disposal, nullable=True)
    disposal_reason: Mapped[str | None] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_by: Mapped[datetime | None]
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    # The second street notified (人户分离: registration and residence both hear of it).
    also_street_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    source_key: Mapped[str | None] = mapped_column(String(64))
    # Whom a ``referred`` disposal sent it to (a department or organisation, in words).
    referred_to: Mapped[str | None] = mapped_column(String(200))
