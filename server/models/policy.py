"""The visit-cycle policy (DESIGN §4), stored as data an admin can edit."""

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
