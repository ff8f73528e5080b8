"""The policies an admin edits as data: the visit cycles (DESIGN §4), the tablets' lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, JSONType, utcnow


class SchedulePolicy(Base):
    """The one current policy (row id 1) in :func:`sync.policy.dump_policy` form.

    Earlier versions live in the audit trail (every change records the whole old policy).
    """

    __tablename__ = "schedule_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class DevicePolicy(Base):
    """The one tablet policy (row id 1): the offline lease's length in hours (issue 19).

    Absent until an admin first saves it; :data:`sync.protocol.DEFAULT_LEASE_HOURS` holds
    until then. Changes are audited with the old and new value.
    """

    __tablename__ = "device_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_hours: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
