"""Addresses users signed in from: the per-user ceiling on failed sign-ins spares them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.models import SignInAddress, User

# How long a successful sign-in makes its address a known one for that user.
KNOWN_FOR = timedelta(days=30)


def note(session: Session, *, user: User, remote_addr: str, now: datetime) -> None:
    """Remember that ``user`` signed in from ``remote_addr`` (and forget the user's
    addresses older than ``KNOWN_FOR``, which keeps the table small)."""
    session.execute(
        delete(SignInAddress).where(
            SignInAddress.user_id == user.id, SignInAddress.at <= now - KNOWN_FOR
        )
    )
    session.add(SignInAddress(user_id=user.id, remote_addr=remote_addr[:64], at=now))


def is_known(session: Session, *, username: str, remote_addr: str, now: datetime) -> bool:
    """Whether ``username`` signed in successfully from ``remote_addr`` within ``KNOWN_FOR``."""
    found = session.scalar(
        select(SignInAddress.id)
        .join(User, User.id == SignInAddress.user_id)
        .where(
            User.username == username,
            SignInAddress.remote_addr == remote_addr[:64],
            SignInAddress.at > now - KNOWN_FOR,
        )
        .limit(1)
    )
    return found is not None
