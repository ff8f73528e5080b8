"""Creating accounts and looking up areas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Area, User
from server.services.auth.tokens import hash_password
from server.services.core import audit, paging
from server.services.core.errors import Invalid
from sync.enums import Role

# Which kinds of area each role may be attached to.
AREA_KINDS = {
    "advisor": {"street", "community"},
    "supervisor": {"street", "district"},
    "admin": {"district", None},
}


def find_area(session: Session, code_or_id: str | int | None) -> Area | None:
    """An area by its code or numeric id (None for None)."""
    if code_or_id is None:
        return None
    stmt = select(Area).where(Area.code == str(code_or_id))
    area = session.scalar(stmt)
    if area is None and (number := paging.whole_number(code_or_id)) is not None:
        area = session.get(Area, number)
    return area


def role_area_errors(role: str, area: Area | None) -> dict[str, list[str]]:
    """Field errors if ``role`` is unknown or may not belong to ``area``'s kind."""
    if role not in Role.codes():
        return {"role": [f"Must be one of: {', '.join(Role.codes())}."]}
    if (area.kind if area else None) not in AREA_KINDS[role]:
        kinds = " or ".join(sorted(k for k in AREA_KINDS[role] if k))
        return {"area": [f"A {role} belongs to a {kinds}."]}
    return {}


def create_user(
    session: Session,
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    area: Area | None,
    display_name: str,
    now: datetime,
    password_method: str = "scrypt",
) -> User:
    """Create an account; the role decides which kinds of area it can belong to."""
    errors = role_area_errors(role, area)
    if len(password) < 8:
        errors["password"] = ["At least 8 characters."]
    if not username or len(username) > 64:
        errors["username"] = ["1 to 64 characters."]
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = ["This username is taken."]
    if errors:
        raise Invalid("The account cannot be created.", errors)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        area_id=area.id if area else None,
        password_hash=hash_password(password, password_method),
        created_at=now,
    )
    diff = audit.changes(user)
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor, action="create", entity="user", entity_id=user.id, now=now, diff=diff
    )
    return user
