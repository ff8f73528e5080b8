"""Sign-in with device tokens, token checks, sign-out and sign-in throttling."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from server.models import Device, LoginFailure, User
from server.services import audit
from server.services.errors import Throttled, Unauthorized

SEEN_EVERY = timedelta(minutes=1)
# Checked against when the user does not exist, so a miss costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


@dataclass(frozen=True)
class LoginPolicy:
    """How long tokens live and how many failed sign-ins are tolerated per window."""

    token_lifetime: timedelta
    window: timedelta
    max_per_user: int
    max_per_ip: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginPolicy:
        """The policy an app's configuration sets (``TOKEN_LIFETIME``, ``LOGIN_*``)."""
        return cls(
            token_lifetime=config["TOKEN_LIFETIME"],
            window=config["LOGIN_WINDOW"],
            max_per_user=config["LOGIN_MAX_FAILURES_PER_USER"],
            max_per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
        )


class SignInRefused(Unauthorized):
    """Wrong username or password: refused, yet the failure is kept for throttling."""

    keeps_changes = True


@dataclass(frozen=True)
class Issued:
    """A freshly issued token: the only moment the plain token exists on the server."""

    token: str
    device: Device
    user: User


def hash_password(password: str, method: str = "scrypt") -> str:
    """A salted, slow hash of ``password`` for storage."""
    return generate_password_hash(password, method=method)


def token_digest(token: str) -> str:
    """The stored form of a bearer token (SHA-256: the token is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_throttle(
    session: Session, username: str, remote_addr: str, now: datetime, policy: LoginPolicy
) -> None:
    since = now - policy.window
    for column, value, limit in (
        (LoginFailure.username, username, policy.max_per_user),
        (LoginFailure.remote_addr, remote_addr, policy.max_per_ip),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                column == value, LoginFailure.at > since
            )
        ).one()
        if count >= limit:
            retry = max(1, math.ceil((oldest + policy.window - now).total_seconds()))
            raise Throttled("Too many failed sign-ins; try again later.", retry_after=retry)


def issue_token(
    session: Session,
    *,
    username: str,
    password: str,
    device_id: str,
    device_name: str,
    app_version: str,
    remote_addr: str,
    now: datetime,
    policy: LoginPolicy,
) -> Issued:
    """Check the password and issue a new device token (replacing that device's old one).

    A failure is recorded even though the sign-in is refused (:class:`SignInRefused` keeps
    its changes), so throttling counts it.
    """
    _check_throttle(session, username, remote_addr, now, policy)
    user = session.scalar(select(User).where(User.username == username))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.add(LoginFailure(username=username, remote_addr=remote_addr, at=now))
        raise SignInRefused("Wrong username or password.")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    # One live token per tablet and user: signing in again retires the previous one.
    session.execute(
        update(Device)
        .where(
            Device.user_id == user.id, Device.device_id == device_id, Device.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    device = Device(
        device_id=device_id,
        name=device_name,
        app_version=app_version,
        user_id=user.id,
        token_hash=token_digest(token),
        issued_at=now,
        expires_at=now + policy.token_lifetime,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="login",
        entity="device",
        entity_id=device.id,
        now=now,
        device_id=device_id,
        diff={"device_name": [None, device_name], "app_version": [None, app_version]},
    )
    return Issued(token=token, device=device, user=user)


def authenticate(session: Session, token: str | None, now: datetime) -> Device:
    """The device a bearer token belongs to, or :class:`Unauthorized` saying why not."""
    if not token:
        raise Unauthorized("Sign in first: the Authorization: Bearer <token> header is missing.")
    device = session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
    if device is None:
        raise Unauthorized("The token is not valid.")
    if device.revoked_at is not None:
        raise Unauthorized("The token was revoked; sign in again.")
    if device.expires_at <= now:
        raise Unauthorized("The token has expired; sign in again.")
    if not device.user.active:
        raise Unauthorized("The account is disabled.")
    return device


def seen_recently(device: Device, now: datetime) -> bool:
    """Whether the device was seen in the last minute (noting it again would only cost a
    write on every request)."""
    return device.last_seen_at is not None and now - device.last_seen_at <= SEEN_EVERY


def touch(session: Session, device: Device, now: datetime) -> None:
    """Note that the device was seen ``now``."""
    device.last_seen_at = now


def revoke(session: Session, *, actor: User, device: Device, now: datetime) -> None:
    """Retire a device's token (sign-out, or an admin revoking a lost tablet)."""
    device.revoked_at = now
    audit.record(
        session,
        actor=actor,
        action="revoke",
        entity="device",
        entity_id=device.id,
        now=now,
        device_id=device.device_id,
    )
