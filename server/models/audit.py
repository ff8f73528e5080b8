"""The append-only audit trail and the global sync counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, utcnow


class AuditEvent(Base):
    """Who did what to which record, with the fields that changed (never a secret)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    # SQLite only auto-numbers an INTEGER primary key, so BIGINT is PostgreSQL-only.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    diff: Mapped[dict] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SyncCounter(Base):
    """The single row whose value orders every synced write by commit (DESIGN §5).

    ``pruned_through`` is the highest version of a tombstone the retention prune removed
    (:mod:`server.services.sync.prune`): a pull cursor from before it may have missed a
    deletion, so the tablet is told to pull from the start.
    """

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
