"""Console sessions kept on the server: started at sign-in, ended for good on sign-out,
deactivation, a password change or reset and a role change."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.models import ConsoleSession, User

# The longest a console session lives, however active (the cookie itself slides with use).
MAX_AGE = timedelta(hours=12)
# What is stored of a key, and the longest key looked up (a cookie is the client's to forge).
_KEY_CHARS = 43


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, *, user: User, now: datetime) -> str:
    """A new session of ``user``: the key its cookie holds (only the key's hash is kept).

    The user's sessions past ``MAX_AGE`` are deleted here, so the table holds no more than
    the sessions that may still be in use.
    """
    session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.user_id == user.id, ConsoleSession.created_at <= now - MAX_AGE
        )
    )
    key = secrets.token_urlsafe(32)
    session.add(ConsoleSession(key_hash=_digest(key), user_id=user.id, created_at=now))
    session.flush()
    return key


def user_for(session: Session, key: str, now: datetime) -> User | None:
    """The active user whose live session ``key`` opens, or None (ended, too old, unknown
    or the account deactivated)."""
    if not key or len(key) > _KEY_CHARS:
        return None
    return session.scalar(
        select(User)
        .join(ConsoleSession, ConsoleSession.user_id == User.id)
        .where(
            ConsoleSession.key_hash == _digest(key),
            ConsoleSession.created_at > now - MAX_AGE,
            User.active.is_(True),
        )
    )


def end(session: Session, key: str) -> None:
    """End one session (sign-out)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.key_hash == _digest(key)))


def end_all(session: Session, user_id: int) -> int:
    """End every session of a user; how many there were."""
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    return result.rowcount or 0
