"""Households (the unit of visits), their members and caseload assignments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from server.models.area import Area
from server.models.base import Base, JSONType, UUIDPk, Versioned, utcnow
from server.models.enumtype import enum_column
from sync.enums import (
    Employment,
    Gender,
    HardshipLevel,
    Health,
    HouseholdStatus,
    LabourCapacity,
    Relation,
    VisitCycle,
)
from sync.protocol import EDITABLE_HOUSEHOLD_FIELDS

# The rows the ID-number rule covers: members of active households that have a number.
ACTIVE_MEMBER = "household_status = 'active' AND id_number IS NOT NULL"
STATUS_LENGTH = max(len(c) for c in HouseholdStatus.codes())


class Household(UUIDPk, Versioned, Base):
    """A monitored household (户). 人户分离 when registration ≠ residence street."""

    __tablename__ = "household"
    # Fields an advisor edits on the tablet (sync.protocol), merged one by one: wire name →
    # the columns that hold it.
    __merge_fields__ = {
        name: ("latitude", "longitude") if name == "location" else (name,)
        for name in EDITABLE_HOUSEHOLD_FIELDS
    }
    __table_args__ = (
        Index("ix_household_registration_street_id", "registration_street_id"),
        Index("ix_household_residence_street_id", "residence_street_id"),
        # What a member's household_status refers to (see Person): the pair is unique
        # because the id alone is. An index rather than a constraint, so adding it never
        # rebuilt the table on SQLite (see migration 0010).
        Index("uq_household_id_status", "id", "status", unique=True),
    )

    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    head_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    residence_address: Mapped[str] = mapped_column(String(200))
    registration_street_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    registration_community_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    residence_street_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    residence_community_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hardship_level: Mapped[str] = enum_column(HardshipLevel)
    visit_cycle: Mapped[str] = enum_column(VisitCycle)
    # The local date the current visit_cycle took effect: periods before the one holding it
    # are not counted as missed under a cycle the household was not on (sync.schedule).
    cycle_since: Mapped[date | None] = mapped_column(Date)
    # Supervisor override of the derived cycle: {"cycle", "reason", "expires_on"} or None.
    cycle_override: Mapped[dict | None] = mapped_column(JSONType)
    assigned_advisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), index=True
    )
    status: Mapped[str] = enum_column(HouseholdStatus, default="active")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    enrolled_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The version at which each advisor-editable field last changed, for per-field merging
    # of tablet edits against their base_version (DESIGN §5 Conflicts).
    field_versions: Mapped[dict] = mapped_column(
        JSONType, default=dict, server_default=text("'{}'")
    )
    # What the last roster import wrote to each household column it manages (JSON-safe
    # values): a re-import keeps a value changed since by anyone else (docs/roster.md).
    imported_values: Mapped[dict | None] = mapped_column(JSONType)

    persons: Mapped[list[Person]] = relationship(
        back_populates="household",
        order_by="Person.birth_date",
        foreign_keys="Person.household_id",
    )

    @property
    def separated(self) -> bool:
        """人户分离: registered in one street, living in another."""
        return self.registration_street_id != self.residence_street_id

    @property
    def location(self) -> dict | None:
        """The household's position as the wire format's ``{lat, lon}``; set it the same way
        (None, or a fix whose other keys such as ``accuracy_m`` are not kept, clears or sets
        both columns)."""
        if self.latitude is None or self.longitude is None:
            return None
        return {"lat": self.latitude, "lon": self.longitude}

    @location.setter
    def location(self, value: Mapping[str, float] | None) -> None:
        self.latitude = value["lat"] if value else None
        self.longitude = value["lon"] if value else None


def _area_name(column) -> object:
    return column_property(
        select(Area.name).where(Area.id == column).correlate_except(Area).scalar_subquery()
    )


# The names of the household's areas, read with the row (a primary-key lookup each), so the
# pull and the API carry them and a tablet shows "幸福社区", not an id: the tablet has no
# area table. Read-only; the ids above are what is stored.
for _side in ("registration", "residence"):
    for _kind in ("street", "community"):
        setattr(
            Household,
            f"{_side}_{_kind}_name",
            _area_name(getattr(Household.__table__.c, f"{_side}_{_kind}_id")),
        )


class Person(UUIDPk, Versioned, Base):
    """A member of a household (家庭成员)."""

    __tablename__ = "person"
    __tombstone__ = "person"
    # One ID number, one active household, as a database rule (docs/architecture.md):
    # household_status copies the household's status — the composite foreign key keeps it
    # equal (ON UPDATE CASCADE follows a household closed or reopened) — so a partial
    # unique index can cover "members of active households" without a second table.
    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "household_status"],
            ["household.id", "household.status"],
            name="fk_person_household_status",
            onupdate="CASCADE",
        ),
        Index(
            "ux_person_active_id_number",
            "id_number",
            unique=True,
            postgresql_where=text(ACTIVE_MEMBER),
            sqlite_where=text(ACTIVE_MEMBER),
        ),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    gender: Mapped[str] = enum_column(Gender)
    birth_date: Mapped[date] = mapped_column(Date)
    relation: Mapped[str] = enum_column(Relation)
    health: Mapped[str] = enum_column(Health)
    labour_capacity: Mapped[str] = enum_column(LabourCapacity)
    employment: Mapped[str] = enum_column(Employment)
    # Kept by the database (see __table_args__); set on insert to the household's status.
    household_status: Mapped[str] = mapped_column(
        String(STATUS_LENGTH), default="active", server_default=text("'active'")
    )

    household: Mapped[Household] = relationship(
        back_populates="persons", foreign_keys=[household_id]
    )


class CaseloadAssignment(UUIDPk, Versioned, Base):
    """One period during which an advisor held a household in their caseload.

    The current holder is also on ``Household.assigned_advisor_id``; these rows keep the
    history that turnover makes important and tell sync when a household entered or left.
    """

    __tablename__ = "caseload_assignment"
    # One open assignment per household: the backstop behind the household row lock that
    # every reassignment takes (two at once must not leave two holders).
    __table_args__ = (
        Index(
            "ux_caseload_assignment_open",
            "household_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
