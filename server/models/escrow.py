"""A tablet's escrowed store key: how another advisor opens a locked tablet to deliver."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base


class DeviceEscrow(Base):
    """The escrow key a tablet deposited (issue 19): it opens one wrapping of the tablet's
    data key, which lies in the tablet's keyring — sealed under that tablet's own device
    secret. So the key alone opens nothing: only the tablet itself, handed to another
    advisor who signs in on it, gets it back (and never a tablet reported lost)."""

    __tablename__ = "device_escrow"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # 32 random bytes, base64url (43 characters).
    key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    deposited_at: Mapped[datetime]
