"""Console sign-in (a browser session, no device token) and password changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from server.models import LoginFailure, User
from server.services.auth import addresses, sessions
from server.services.auth.tokens import Candidate, SignInRefused, hash_password
from server.services.core import audit
from server.services.core.errors import Forbidden, Invalid

# Who may use the console at all; advisors work on their tablets.
CONSOLE_ROLES = frozenset({"supervisor", "admin"})
MIN_PASSWORD = 8


@dataclass(frozen=True)
class ConsoleSignIn:
    """A console sign-in that held: the user and the key of the new server-side session."""

    user: User
    key: str


def finish_console_sign_in(
    session: Session, *, candidate: Candidate, valid: bool, remote_addr: str, now: datetime
) -> ConsoleSignIn:
    """Step 3 of a console sign-in (steps 1–2 are :func:`server.services.auth.tokens.
    sign_in_candidate` and ``password_matches``): a new session, or a refusal that is kept.

    A wrong password is recorded like the API's, so the throttle counts both together. A
    right password of an advisor is refused only after the check, so the answer tells a
    stranger nothing about which accounts are advisors.
    """
    user = session.get(User, candidate.user_id) if candidate.user_id is not None else None
    if user is None or not user.active or not valid:
        session.add(LoginFailure(username=candidate.username, remote_addr=remote_addr, at=now))
        raise SignInRefused("Wrong username or password.")
    session.execute(delete(LoginFailure).where(LoginFailure.username == candidate.username))
    if user.role not in CONSOLE_ROLES:
        raise Forbidden("The console is for supervisors and admins.")
    addresses.note(session, user=user, remote_addr=remote_addr, now=now)
    audit.record(
        session, actor=user, action="console_login", entity="user", entity_id=user.id, now=now
    )
    return ConsoleSignIn(user, sessions.start(session, user=user, now=now))


class WrongCurrentPassword(Invalid):
    """The current password was wrong: refused, and counted like a failed sign-in, so a
    stolen token or an unlocked browser cannot be used to guess the password."""

    keeps_changes = True


def change_password(
    session: Session,
    *,
    actor: User,
    current_ok: bool,
    new_password: str,
    remote_addr: str,
    now: datetime,
    method: str = "scrypt",
) -> User:
    """Set a new password once the caller has checked the current one (``current_ok``,
    slow, outside the transaction, after the sign-in throttle:
    :func:`server.services.auth.tokens.sign_in_candidate`); every session of the account
    ends with the old one (the caller starts a new one for the browser that changed it)."""
    errors: dict[str, list[str]] = {}
    if not current_ok:
        errors["current_password"] = ["Wrong password."]
    if len(new_password) < MIN_PASSWORD:
        errors["new_password"] = [f"At least {MIN_PASSWORD} characters."]
    if not current_ok:
        session.add(LoginFailure(username=actor.username, remote_addr=remote_addr, at=now))
        raise WrongCurrentPassword("The password was not changed.", errors)
    if errors:
        raise Invalid("The password was not changed.", errors)
    actor.password_hash = hash_password(new_password, method)
    sessions.end_all(session, actor.id)
    audit.record(
        session,
        actor=actor,
        action="password_change",
        entity="user",
        entity_id=actor.id,
        now=now,
        diff={"password_hash": ["***", "***"]},
    )
    return actor
