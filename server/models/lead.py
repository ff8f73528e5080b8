"""Leads (走访发现): households an advisor found in the field that are not yet monitored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, UUIDPk, Versioned
from server.models.enumtype import enum_column
from sync.enums import LeadStatus


class Lead(UUIDPk, Versioned, Base):
    """A household reported from the field, waiting in its street's queue.

    Kept apart from :class:`~server.models.household.Household`: nothing about it is
    checked yet, so it joins no caseload, due list or pull until a supervisor enrols it.
    """

    __tablename__ = "lead"

    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    found_at: Mapped[datetime]
    received_at: Mapped[datetime]
    head_name: Mapped[str] = mapped_column(String(50))
    residence_address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    observations: Mapped[str] = mapped_column(Text)
    suggested_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The wire format's {lat, lon, accuracy_m}, or None: only read back, never queried.
    location: Mapped[dict | None] = mapped_column(JSONType)
    status: Mapped[str] = enum_column(LeadStatus, default="new")
    # "handed_over" when a tablet that changed hands delivered it for its author.
    flag: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the pushed data: the same lead sent again is recognised as a duplicate.
    payload_hash: Mapped[str] = mapped_column(String(64))
    # The supervisor's decision: who, when, the household it became or why it was declined.
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
