"""Accounts for admins: the list, deactivation, password resets, role and area changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.models import Area, Household, User
from server.services.auth import sessions, tokens, users
from server.services.auth.console_auth import MIN_PASSWORD
from server.services.auth.tokens import hash_password
from server.services.core import audit
from server.services.core.errors import Forbidden, Invalid, NotFound
from server.services.core.paging import Page

# No 0/O, 1/l/I: a temporary password is read off a screen and typed on a tablet.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 12


@dataclass(frozen=True)
class UserFilter:
    """What the user list asks for; ``area_id`` takes in the areas below it too."""

    role: str | None = None
    area_id: int | None = None
    active: bool | None = None


def require_admin(actor: User) -> None:
    """Refuse anyone but an admin (the console checks first; this holds for other callers)."""
    if actor.role != "admin":
        raise Forbidden("Only admins manage accounts, devices, areas and policies.")


def area_and_below(session: Session, area_id: int) -> set[int]:
    """``area_id`` and every area under it (a district has two levels below)."""
    found, frontier = {area_id}, {area_id}
    while frontier:
        frontier = set(session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        frontier -= found
        found |= frontier
    return found


def list_users(
    session: Session, actor: User, filters: UserFilter, *, page: int, page_size: int
) -> Page:
    """Accounts matching ``filters``, by username."""
    require_admin(actor)
    stmt = select(User)
    if filters.role:
        stmt = stmt.where(User.role == filters.role)
    if filters.area_id is not None:
        stmt = stmt.where(User.area_id.in_(area_and_below(session, filters.area_id)))
    if filters.active is not None:
        stmt = stmt.where(User.active.is_(filters.active))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(User.username).limit(page_size).offset((page - 1) * page_size)
    )
    return Page(items=list(rows), total=total, page=page, page_size=page_size)


def get_user(session: Session, actor: User, user_id: int) -> User:
    """One account, or :class:`NotFound`."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def temporary_password() -> str:
    """A fresh random password to hand over once (about 70 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_LENGTH))


def _not_self(actor: User, user: User, field: str, what: str) -> None:
    # An admin who locks themself out needs another admin (or the database) to get back in.
    if actor.id == user.id:
        raise Invalid(
            f"You cannot {what} your own account here.", {field: [f"Not your own {what}."]}
        )


def set_active(session: Session, *, actor: User, user: User, active: bool, now: datetime) -> User:
    """Deactivate or reactivate an account.

    Either way every tablet token and console session of the account ends for good:
    reactivating it revives none of them (its advisor signs in again with the password).
    A revoked token still proves whose unsent records a tablet delivers (``on_behalf_of``),
    so nothing recorded is stranded.
    """
    require_admin(actor)
    _not_self(actor, user, "active", "deactivate")
    if user.active == active:
        return user
    user.active = active
    sessions.end_all(session, user.id)
    tokens.end_all_tokens(session, user.id, now)
    audit.record(
        session,
        actor=actor,
        action="reactivate" if active else "deactivate",
        entity="user",
        entity_id=user.id,
        now=now,
        diff={"active": [not active, active]},
    )
    return user


def reset_password(
    session: Session, *, actor: User, user: User, password: str, now: datetime, method: str
) -> User:
    """Give the account a new password (the admin hands it over); its console sessions and
    tablet tokens end. One's own goes through the password page, which asks for the
    current one."""
    require_admin(actor)
    _not_self(actor, user, "password", "reset")
    if len(password) < MIN_PASSWORD:
        raise Invalid("The password was not reset.", {"password": ["At least 8 characters."]})
    if len(password) > 256:
        raise Invalid("The password was not reset.", {"password": ["At most 256 characters."]})
    user.password_hash = hash_password(password, method)
    sessions.end_all(session, user.id)
    tokens.end_all_tokens(session, user.id, now)
    audit.record(
        session,
        actor=actor,
        action="password_reset",
        entity="user",
        entity_id=user.id,
        now=now,
        diff={"password_hash": ["***", "***"]},
    )
    return user


def _streets_of(area: Area | None) -> set[int]:
    if area is None:
        return set()
    if area.kind == "street":
        return {area.id}
    return {area.parent_id} if area.kind == "community" and area.parent_id else set()


def _caseload_errors(
    session: Session, user: User, role: str, area: Area | None
) -> dict[str, list[str]]:
    """An advisor keeps households only in the streets they work in (households.py checks
    the same for every assignment), and only an advisor holds a caseload."""
    held = Household.assigned_advisor_id == user.id
    if user.role != "advisor" or not session.scalar(select(func.count()).where(held)):
        return {}
    if role != "advisor":
        return {"role": ["Hand over this advisor's caseload first."]}
    streets = _streets_of(area)
    outside = session.scalar(
        select(func.count()).where(
            held,
            ~or_(
                Household.registration_street_id.in_(streets),
                Household.residence_street_id.in_(streets),
            ),
        )
    )
    return {"area": ["Some of this advisor's households lie outside it."]} if outside else {}


def update_user(
    session: Session,
    *,
    actor: User,
    user: User,
    display_name: str,
    role: str,
    area: Area | None,
    now: datetime,
) -> User:
    """Change the name, role and area (the role decides the kinds of area, as at creation)."""
    require_admin(actor)
    errors = users.role_area_errors(role, area)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 100:
        errors["display_name"] = ["1 to 100 characters."]
    if actor.id == user.id and role != user.role:
        errors["role"] = ["Not your own role."]
    if not errors:
        errors = _caseload_errors(session, user, role, area)
    if errors:
        raise Invalid("The account was not changed.", errors)
    if role != user.role:
        sessions.end_all(session, user.id)  # what the console shows depends on the role
    user.display_name, user.role = display_name, role
    user.area, user.area_id = area, area.id if area else None
    diff = audit.changes(user)
    if diff:
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="user",
            entity_id=user.id,
            now=now,
            diff=diff,
        )
    return user
