"""The one place that decides which households an actor may see (DESIGN §7)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from server.models import Area, Household, Lead, User, Warning
from server.services.core.errors import Forbidden, NotFound


def street_ids(session: Session, user: User) -> set[int]:
    """The streets a supervisor (or advisor) works in: their street, or their district's."""
    area = user.area
    if area is None:
        return set()
    if area.kind == "street":
        return {area.id}
    if area.kind == "community":
        return {area.parent_id} if area.parent_id else set()
    return set(session.scalars(select(Area.id).where(Area.parent_id == area.id)))


def household_filter(session: Session, actor: User) -> ColumnElement[bool]:
    """The row filter every household list and pull applies for ``actor``.

    - admin: everything;
    - supervisor: households whose registration *or* residence street is in their area,
      so both streets of a 人户分离 household see it;
    - advisor: their own caseload.
    """
    if actor.role == "admin":
        return true()
    if actor.role == "supervisor":
        streets = street_ids(session, actor)
        if not streets:
            return false()
        return or_(
            Household.registration_street_id.in_(streets),
            Household.residence_street_id.in_(streets),
        )
    if actor.role == "advisor":
        return Household.assigned_advisor_id == actor.id
    return false()


def lead_filter(session: Session, actor: User) -> ColumnElement[bool]:
    """The row filter of the lead queue: a supervisor's streets, everything for an admin.

    A lead is filed under the street of the advisor who found it (not yet anyone's
    caseload), so advisors and other roles see none here.
    """
    if actor.role == "admin":
        return true()
    if actor.role == "supervisor":
        streets = street_ids(session, actor)
        return Lead.street_id.in_(streets) if streets else false()
    return false()


def warning_filter(session: Session, actor: User) -> ColumnElement[bool]:
    """The row filter of warnings: those sent to a street of the supervisor's (its own
    street, or the second street told of it — 人户分离); everything for an admin.

    Warnings are routed, not shown by household: a deceased recipient's warning goes to the
    registration street, an emergency to the residence street, a move to both.
    """
    if actor.role == "admin":
        return true()
    if actor.role == "supervisor":
        streets = street_ids(session, actor)
        if not streets:
            return false()
        return or_(Warning.street_id.in_(streets), Warning.also_street_id.in_(streets))
    return false()


def can_see_area(session: Session, actor: User, area: Area) -> bool:
    """Whether ``actor`` may ask about ``area`` (a street or community) at all."""
    if actor.role == "admin":
        return True
    street = area.id if area.kind == "street" else area.parent_id
    if area.kind == "district":
        return actor.area_id == area.id
    return street in street_ids(session, actor)


def area_condition(street_id: int | None, community_id: int | None) -> ColumnElement:
    """Households of a street or community: where they are registered or where they live."""
    conditions = []
    if street_id is not None:
        conditions.append(
            or_(
                Household.registration_street_id == street_id,
                Household.residence_street_id == street_id,
            )
        )
    if community_id is not None:
        conditions.append(
            or_(
                Household.registration_community_id == community_id,
                Household.residence_community_id == community_id,
            )
        )
    return and_(True, *conditions)


def require_area(session: Session, actor: User, area_id: int | None, kind: str) -> None:
    """Refuse a filter naming an unknown area (404) or one outside the actor's scope (403)."""
    if area_id is None:
        return
    area = session.get(Area, area_id)
    if area is None or area.kind != kind:
        raise NotFound(f"No such {kind}.", {kind: [f"Unknown {kind} id {area_id}."]})
    if not can_see_area(session, actor, area) and not _touched(session, actor, area):
        raise Forbidden(f"This {kind} is outside your area.", {kind: ["Outside your area."]})


def _touched(session: Session, actor: User, area: Area) -> bool:
    """Whether a household in ``actor``'s scope is registered or lives in community ``area``
    (a 人户分离 household of the actor's street, counted there): a filter may name it, and
    still shows only households in scope."""
    if area.kind != "community":
        return False
    stmt = select(Household.id).where(
        household_filter(session, actor), area_condition(None, area.id)
    )
    return session.scalar(stmt.limit(1)) is not None


def can_see_id_numbers(actor: User) -> bool:
    """Advisors see ID numbers masked; reviewers and admins see them whole."""
    return actor.role in {"supervisor", "admin"}
