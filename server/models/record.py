"""Field records made on the tablet: home visits and neighbourhood interviews."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Float, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, UUIDPk, Versioned
from server.models.enumtype import enum_column
from sync.enums import (
    Corroborates,
    HardshipLevel,
    IncomeChange,
    IntervieweeRole,
    Outcome,
    RecordStatus,
    Situation,
)

# Records waiting for review (server.services.review.workflow.REVIEWABLE), for partial indexes.
WAITING = "status IN ('submitted', 'resubmitted')"


class FieldRecord(UUIDPk, Versioned):
    """Columns every field record shares: who made it, where, and its workflow state."""

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"))
    advisor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    findings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = enum_column(RecordStatus, default="submitted")
    review_comment: Mapped[str | None] = mapped_column(Text)
    # Set when the record came in for a household no longer in the author's caseload: it
    # is kept (nothing recorded in the field is lost) and shown to the supervisor.
    flag: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the pushed data last applied: a replay of the same record is recognised
    # by it even when the push bookkeeping that answered it first is gone (pruned).
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    # Who corrected a returned record when it was not its author: the household's holder
    # after a handover. The author (``advisor_id``) stays.
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Visit(FieldRecord, Base):
    """A home visit (入户走访)."""

    __tablename__ = "visit"
    __table_args__ = (
        # The status rides along (PostgreSQL INCLUDE) so the dashboard's visits per month
        # are counted from the index alone, without reading each visit's row.
        Index(
            "ix_visit_household_visited",
            "household_id",
            "visited_at",
            postgresql_include=["status"],
        ),
        # The review queue: only records waiting for review (few, once reviewed), with all
        # the queue sorts by, so a street's queue is read from the index alone.
        Index(
            "ix_visit_review",
            "household_id",
            "urgent",
            "visited_at",
            "id",
            postgresql_where=text(WAITING),
            sqlite_where=text(WAITING),
        ),
        # The schedule only asks for the latest visit that counts: a partial index answers
        # that with one backward index step per household.
        Index(
            "ix_visit_counting",
            "household_id",
            "visited_at",
            postgresql_where=text("outcome = 'completed' AND status <> 'draft'"),
            sqlite_where=text("outcome = 'completed' AND status <> 'draft'"),
        ),
    )

    visited_at: Mapped[datetime]
    outcome: Mapped[str] = enum_column(Outcome)
    persons_met: Mapped[list[str]] = mapped_column(JSONType, default=list)
    living_conditions: Mapped[str] = mapped_column(Text, default="")
    income_change: Mapped[str] = enum_column(IncomeChange, default="unknown")
    estimated_monthly_income: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    needs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    situation: Mapped[str] = enum_column(Situation, default="none")
    suggested_level: Mapped[str | None] = enum_column(HardshipLevel, nullable=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    @property
    def location(self) -> dict | None:
        """The GPS fix as the wire format's ``{lat, lon, accuracy_m}``; set it the same way
        (None clears the three columns)."""
        if self.latitude is None or self.longitude is None:
            return None
        return {"lat": self.latitude, "lon": self.longitude, "accuracy_m": self.accuracy_m}

    @location.setter
    def location(self, value: Mapping[str, float | None] | None) -> None:
        value = value or {}
        self.latitude = value.get("lat")
        self.longitude = value.get("lon")
        self.accuracy_m = value.get("accuracy_m")


class Interview(FieldRecord, Base):
    """A neighbourhood interview (邻里访问) that corroborates a household's situation."""

    __tablename__ = "interview"
    __table_args__ = (
        Index("ix_interview_household_interviewed", "household_id", "interviewed_at"),
        Index(
            "ix_interview_review",
            "household_id",
            "interviewed_at",
            "id",
            postgresql_where=text(WAITING),
            sqlite_where=text(WAITING),
        ),
    )

    interviewed_at: Mapped[datetime]
    interviewee_role: Mapped[str] = enum_column(IntervieweeRole)
    interviewee_name: Mapped[str | None] = mapped_column(String(50))
    statement: Mapped[str] = mapped_column(Text)
    corroborates: Mapped[str] = enum_column(Corroborates)
