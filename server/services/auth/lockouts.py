"""Failed sign-ins as an admin sees them: who is throttled, from where, and lifting it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.models import LoginFailure
from server.services.auth import addresses
from server.services.auth.tokens import LoginPolicy


@dataclass(frozen=True)
class Lockout:
    """Failures of one username from one address within the window."""

    username: str
    remote_addr: str
    failures: int
    last_at: datetime
    locked: bool


def list_lockouts(session: Session, *, now: datetime, policy: LoginPolicy) -> list[Lockout]:
    """Every (username, address) with failures in the window, most failures first;
    ``locked`` when that pair is at its limit, or the username as a whole is and the
    address is not one the user signed in from recently (the ceiling spares those)."""
    since = now - policy.window
    rows = session.execute(
        select(
            LoginFailure.username, LoginFailure.remote_addr, func.count(), func.max(LoginFailure.at)
        )
        .where(LoginFailure.at > since)
        .group_by(LoginFailure.username, LoginFailure.remote_addr)
        .order_by(func.count().desc(), LoginFailure.username)
    ).all()
    per_user: dict[str, int] = {}
    for username, _addr, count, _last in rows:
        per_user[username] = per_user.get(username, 0) + count
    return [
        Lockout(
            username=username,
            remote_addr=addr,
            failures=count,
            last_at=last,
            locked=count >= policy.max_per_user_address
            or (
                per_user[username] >= policy.max_per_user
                and not addresses.is_known(session, username=username, remote_addr=addr, now=now)
            ),
        )
        for username, addr, count, last in rows
    ]


def unlock(session: Session, *, username: str) -> int:
    """Forget every failed sign-in of ``username`` (from any address); how many there were."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return result.rowcount or 0


@dataclass(frozen=True)
class AddressLock:
    """An address locked for every username: too many failures from it in the window."""

    remote_addr: str
    failures: int
    last_at: datetime


def list_address_locks(
    session: Session, *, now: datetime, policy: LoginPolicy
) -> list[AddressLock]:
    """Addresses at the limit over all usernames (``max_per_ip``), most failures first."""
    rows = session.execute(
        select(LoginFailure.remote_addr, func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.at > now - policy.window)
        .group_by(LoginFailure.remote_addr)
        .having(func.count() >= policy.max_per_ip)
        .order_by(func.count().desc(), LoginFailure.remote_addr)
    ).all()
    return [AddressLock(addr, count, last) for addr, count, last in rows]


def unlock_address(session: Session, *, remote_addr: str) -> int:
    """Forget every failed sign-in from ``remote_addr`` (any username); how many there were."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.remote_addr == remote_addr))
    return result.rowcount or 0
