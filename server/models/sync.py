"""Bookkeeping of the sync protocol: tombstones, per-device mutation marks, idempotent replies."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, UUIDPk, Versioned, utcnow


class Tombstone(UUIDPk, Versioned, Base):
    """A synced row that was deleted, so pulls can tell tablets to drop it."""

    __tablename__ = "tombstone"
    # The retention prune picks its batches by age.
    __table_args__ = (Index("ix_tombstone_at", "at"),)

    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column(index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(32), default="deleted")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DeviceSync(Base):
    """Per advisor and tablet: the highest mutation id applied. Its row is locked for the
    length of a push, so two pushes from one tablet (a retry racing the original) run one
    after the other.

    Keyed by the *authenticated* advisor as well as the tablet's id: the ``device_id``
    string is the client's choice, so two advisors naming their tablets alike must never
    share a mark or read each other's answers.
    """

    __tablename__ = "device_sync"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    high_water: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the tablet has pulled: every change sorted at or below this version was applied
    # there (its pull cursor says so), and since when. A push compares it with a caseload
    # change: a record made before the tablet could know of a move is kept, flagged.
    pulled_through: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    pulled_at: Mapped[datetime | None]


class DeviceMutation(Base):
    """The answer given to one mutation of one advisor's tablet, so a replay of that very
    mutation gets the same answer.

    ``fingerprint`` identifies the mutation (entity, op, id, base_version, data): a later
    mutation reusing the id with other content is never taken for a replay. Rows are
    written in the same transaction as the change they describe.
    """

    __tablename__ = "device_mutation"
    __table_args__ = (Index("ix_device_mutation_at", "at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    entity: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID]
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotentReply(Base):
    """The whole response to a push, by (advisor, tablet, Idempotency-Key), replayed on a
    repeat."""

    __tablename__ = "idempotent_reply"
    __table_args__ = (Index("ix_idempotent_reply_at", "at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(default=utcnow)
