"""The communities and advisors a console user may filter by (their area, never more)."""

from __future__ import annotations

from sqlalchemy import or_, select, union
from sqlalchemy.orm import Session

from server.models import Area, Household, User
from server.services.core import scope


def _streets(session: Session, actor: User):
    if actor.role == "admin":
        return select(Area.id).where(Area.kind == "street")
    return sorted(scope.street_ids(session, actor))


def communities(session: Session, actor: User) -> list[Area]:
    """Communities of the streets in the actor's area, and those of other streets where a
    人户分离 household of the area is registered or lives (the dashboard counts it there),
    by name."""
    own = Area.parent_id.in_(_streets(session, actor))
    if actor.role != "admin":
        visible = scope.household_filter(session, actor)
        touched = union(
            select(Household.residence_community_id).where(visible),
            select(Household.registration_community_id).where(visible),
        )
        own = or_(own, Area.id.in_(touched))
    stmt = select(Area).where(Area.kind == "community", own)
    return list(session.scalars(stmt.order_by(Area.name)))


def advisors(session: Session, actor: User) -> list[User]:
    """Advisors working in a street (or one of its communities) of the actor's area."""
    streets = _streets(session, actor)
    in_community = select(Area.id).where(Area.parent_id.in_(streets))
    stmt = select(User).where(
        User.role == "advisor", or_(User.area_id.in_(streets), User.area_id.in_(in_community))
    )
    return list(session.scalars(stmt.order_by(User.display_name)))


def display_names(session: Session, user_ids) -> dict[int, str]:
    """The display names of ``user_ids`` (the advisors a page's rows name), in one query."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
