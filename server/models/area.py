"""Administrative areas: district → street → community."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base
from server.models.enumtype import enum_column
from sync.enums import AreaKind


class Area(Base):
    """A district (区), street (街道/乡镇) or community (居委/村委)."""

    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("(kind = 'district') = (parent_id IS NULL)", name="root_is_district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = enum_column(AreaKind)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent")
