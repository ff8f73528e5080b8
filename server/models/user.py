"""People who sign in, the tablets they use, and failed sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.area import Area
from server.models.base import Base, utcnow
from server.models.enumtype import enum_column
from sync.enums import RevokeKind, Role


class User(Base):
    """An advisor, supervisor or admin; ``area`` bounds what they may see (DESIGN §7)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = enum_column(Role)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area | None] = relationship()


class Device(Base):
    """One tablet signed in as one user; holds the hash of its bearer token."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    app_version: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # SHA-256 of a 256-bit random token: the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    pending_count: Mapped[int | None] = mapped_column(Integer)
    oldest_pending_at: Mapped[datetime | None]
    # When the tablet last reported its outbox (pending_count, oldest_pending_at).
    reported_at: Mapped[datetime | None]
    # An admin's revocation (issue 19): ``retire`` (may still push, then told to wipe) or
    # ``lost`` (dead at once). None with ``revoked_at`` set: signed out, or replaced by a
    # newer sign-in on the tablet (plain 401, no wipe).
    revoke_kind: Mapped[str | None] = enum_column(RevokeKind, nullable=True)
    # When the tablet reported its wipe, and how many unsent records it gave up doing so.
    wiped_at: Mapped[datetime | None]
    given_up: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User] = relationship()


class ConsoleSession(Base):
    """One signed-in console browser, kept on the server so it can be ended for good.

    The browser's cookie holds a random key; only its SHA-256 is stored. Sign-out deletes
    the row; deactivation, a password change or reset and a role change delete every row
    of the user, so no copied cookie opens anything afterwards.
    """

    __tablename__ = "console_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInAddress(Base):
    """An address a user signed in from (console or tablet), one row per sign-in, kept
    for a while: the per-user ceiling on failed sign-ins spares these addresses, so a
    stranger guessing from elsewhere cannot lock the owner out."""

    __tablename__ = "sign_in_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """A failed sign-in, kept briefly to throttle guessing per user and per address.

    Stored in the database (not process memory) so every app server behind the load
    balancer counts the same failures.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
