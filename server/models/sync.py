"""Bookkeeping of the sync protocol: tombstones, per-device mutation marks, idempotent replies."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, UUIDPk, Versioned, utcnow


class Tombstone(UUIDPk, Versioned, Base):
    """A synced row that was deleted, so pulls can tell tablets to drop it."""

    __tablename__ = "tombstone"

    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column(index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(32), default="deleted")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DeviceSync(Base):
    """Per tablet: the highest mutation id applied. Its row is locked for the length of a
    push, so two pushes from one tablet (a retry racing the original) run one after the
    other."""

    __tablename__ = "device_sync"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    high_water: Mapped[int] = mapped_column(BigInteger, default=0)


class DeviceMutation(Base):
    """The answer given to one mutation of one device, so a replay gets the same answer.

    The highest ``mutation_id`` per device is the high-water mark (DESIGN §5); rows are
    written in the same transaction as the change they describe.
    """

    __tablename__ = "device_mutation"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    result: Mapped[dict] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotentReply(Base):
    """The whole response to a push, by (device, Idempotency-Key), replayed on a repeat."""

    __tablename__ = "idempotent_reply"
    __table_args__ = (Index("ix_idempotent_reply_at", "at"),)

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(default=utcnow)
