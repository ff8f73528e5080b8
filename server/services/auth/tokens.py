"""Sign-in with device tokens, token checks, sign-out and sign-in throttling."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from server.models import Device, LoginFailure, User
from server.services.auth import addresses, revocation
from server.services.core import audit
from server.services.core.errors import Throttled, Unauthorized

SEEN_EVERY = timedelta(minutes=1)
# Checked against when the user does not exist, so a miss costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


@dataclass(frozen=True)
class LoginPolicy:
    """How long tokens live and how many failed sign-ins are tolerated per window.

    Guessing is throttled per (username, address) at ``max_per_user_address``, so a
    stranger's failures do not lock the account's owner out at their own address. Across
    all addresses a username has a far higher ceiling (``max_per_user``, against guessing
    from many machines) that holds only for addresses the user has not signed in from
    recently (``addresses.KNOWN_FOR``), and an address one over all usernames
    (``max_per_ip``). An admin
    lifts a lockout with ``tanfang user unlock``.
    """

    token_lifetime: timedelta
    window: timedelta
    max_per_user: int
    max_per_ip: int
    max_per_user_address: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginPolicy:
        """The policy an app's configuration sets (``TOKEN_LIFETIME``, ``LOGIN_*``)."""
        return cls(
            token_lifetime=config["TOKEN_LIFETIME"],
            window=config["LOGIN_WINDOW"],
            max_per_user=config["LOGIN_MAX_FAILURES_PER_USER"],
            max_per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
            max_per_user_address=config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"],
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
    limits = [
        (
            and_(LoginFailure.username == username, LoginFailure.remote_addr == remote_addr),
            policy.max_per_user_address,
        ),
        (LoginFailure.remote_addr == remote_addr, policy.max_per_ip),
    ]
    # The ceiling over all addresses slows down guessing from unknown machines only: an
    # address the user signed in from recently stays open to them (per address above).
    if not addresses.is_known(session, username=username, remote_addr=remote_addr, now=now):
        limits.append((LoginFailure.username == username, policy.max_per_user))
    for condition, limit in limits:
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                condition, LoginFailure.at > since
            )
        ).one()
        if count >= limit:
            retry = max(1, math.ceil((oldest + policy.window - now).total_seconds()))
            raise Throttled("Too many failed sign-ins; try again later.", retry_after=retry)


def _stored_hash(session: Session, username: str) -> tuple[int | None, str]:
    """The user's id (None if unknown or disabled) and the hash to check a password with."""
    row = session.execute(
        select(User.id, User.password_hash, User.active).where(User.username == username)
    ).one_or_none()
    if row is None:
        return None, _DUMMY_HASH
    return (row.id if row.active else None), row.password_hash


@dataclass(frozen=True)
class Candidate:
    """A sign-in that passed the throttle: whose hash to check the password against."""

    username: str
    user_id: int | None  # None: unknown or disabled (checked against a dummy hash)
    stored_hash: str


def sign_in_candidate(
    session: Session, *, username: str, remote_addr: str, now: datetime, policy: LoginPolicy
) -> Candidate:
    """Step 1 of a sign-in, reads only: the throttle, then the stored hash."""
    _check_throttle(session, username, remote_addr, now, policy)
    user_id, stored = _stored_hash(session, username)
    return Candidate(username, user_id, stored)


def password_matches(candidate: Candidate, password: str) -> bool:
    """Step 2, slow on purpose (scrypt, ~0.1 s): the API runs it outside any transaction,
    since on SQLite one holds the write lock (BEGIN IMMEDIATE) and every other sign-in and
    write of the site would queue behind the hashing."""
    return check_password_hash(candidate.stored_hash, password)


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
    """All three steps in one unit of work (the CLI and tests; the API splits them)."""
    candidate = sign_in_candidate(
        session, username=username, remote_addr=remote_addr, now=now, policy=policy
    )
    return finish_sign_in(
        session,
        candidate=candidate,
        valid=password_matches(candidate, password),
        device_id=device_id,
        device_name=device_name,
        app_version=app_version,
        remote_addr=remote_addr,
        now=now,
        policy=policy,
    )


def finish_sign_in(
    session: Session,
    *,
    candidate: Candidate,
    valid: bool,
    device_id: str,
    device_name: str,
    app_version: str,
    remote_addr: str,
    now: datetime,
    policy: LoginPolicy,
) -> Issued:
    """Step 3: issue a new device token (replacing that device's old one), or refuse.

    A failure is recorded even though the sign-in is refused (:class:`SignInRefused` keeps
    its changes), so throttling counts it.
    """
    username = candidate.username
    user = session.get(User, candidate.user_id) if candidate.user_id is not None else None
    if user is None or not user.active or not valid:
        session.add(LoginFailure(username=username, remote_addr=remote_addr, at=now))
        raise SignInRefused("Wrong username or password.")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    addresses.note(session, user=user, remote_addr=remote_addr, now=now)
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


def authenticate(
    session: Session, token: str | None, now: datetime, *, retired_ok: bool = False
) -> Device:
    """The device a bearer token belongs to, or :class:`Unauthorized` saying why not.

    A token an admin revoked is refused with :class:`revocation.Revoked` (saying the kind
    and whether to wipe), except a retired tablet's where ``retired_ok`` (sending what it
    holds)."""
    if not token:
        raise Unauthorized("Sign in first: the Authorization: Bearer <token> header is missing.")
    device = session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
    if device is None:
        raise Unauthorized("The token is not valid.")
    if device.revoke_kind is not None:
        revocation.check_revoked(device, retired_ok=retired_ok)
    elif device.revoked_at is not None:
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
    """End a device's token on sign-out (an admin's revocation is
    :func:`server.services.auth.revocation.revoke`, which says retire or lost)."""
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


def end_all_tokens(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every live tablet token of an account (deactivation, reactivation, a password
    reset): none of them opens anything again, and the tablet asks for the password. A
    revoked token still proves whose unsent records a tablet delivers (``on_behalf_of``),
    so nothing recorded is stranded. Returns how many were live."""
    result = session.execute(
        update(Device)
        .where(Device.user_id == user_id, Device.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def revoked_device(session: Session, token: str | None) -> Device:
    """The admin-revoked device a token belongs to (its wipe report's credential): a live,
    unknown or merely signed-out token is refused, since only a revoked tablet wipes."""
    device = (
        session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
        if token
        else None
    )
    if device is None or device.revoke_kind is None:
        raise Unauthorized("Only a tablet an admin revoked reports a wipe.")
    return device
