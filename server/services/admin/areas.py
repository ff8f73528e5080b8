"""The area tree for admins: district → street → community; creating and renaming areas."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Area, Household, User
from server.services.admin.accounts import require_admin
from server.services.core import audit
from server.services.core.errors import Invalid, NotFound

# The kind of parent each kind of area hangs under (a district is a root).
PARENT_KIND = {"district": None, "street": "district", "community": "street"}
CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass
class Node:
    """An area with its children and how many accounts and households it holds."""

    area: Area
    users: int = 0
    households: int = 0
    children: list[Node] = field(default_factory=list)


def tree(session: Session, actor: User) -> list[Node]:
    """Every district with its streets and their communities, by code."""
    require_admin(actor)
    nodes = {a.id: Node(a) for a in session.scalars(select(Area).order_by(Area.code))}
    for area_id, n in session.execute(
        select(User.area_id, func.count()).where(User.area_id.is_not(None)).group_by(User.area_id)
    ):
        nodes[area_id].users = n
    # A household counts where it lives (its residence community).
    for area_id, n in session.execute(
        select(Household.residence_community_id, func.count()).group_by(
            Household.residence_community_id
        )
    ):
        nodes[area_id].households = n
    roots = []
    for node in nodes.values():
        parent = node.area.parent_id
        (nodes[parent].children if parent in nodes else roots).append(node)
    return roots


def get_area(session: Session, actor: User, area_id: int) -> Area:
    """One area, or :class:`NotFound`."""
    require_admin(actor)
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound("No such area.")
    return area


def _code_errors(session: Session, code: str, own_id: int | None) -> list[str]:
    if not CODE.match(code):
        return ["1 to 32 letters, digits, - or _."]
    taken = session.scalar(select(Area.id).where(Area.code == code))
    return ["This code is taken."] if taken is not None and taken != own_id else []


def _name_errors(name: str) -> list[str]:
    return [] if 0 < len(name.strip()) <= 100 else ["1 to 100 characters."]


def create_area(
    session: Session,
    *,
    actor: User,
    code: str,
    name: str,
    kind: str,
    parent: Area | None,
    now: datetime,
) -> Area:
    """A new area under ``parent``, whose kind must be the one ``kind`` hangs under."""
    require_admin(actor)
    errors: dict[str, list[str]] = {}
    if kind not in PARENT_KIND:
        errors["kind"] = [f"Must be one of: {', '.join(PARENT_KIND)}."]
    elif (parent.kind if parent else None) != PARENT_KIND[kind]:
        errors["parent"] = [
            f"A {kind} belongs under a {PARENT_KIND[kind]}."
            if PARENT_KIND[kind]
            else "A district has no parent."
        ]
    for name_, found in (("code", _code_errors(session, code, None)), ("name", _name_errors(name))):
        if found:
            errors[name_] = found
    if errors:
        raise Invalid("The area was not created.", errors)
    area = Area(code=code, name=name.strip(), kind=kind, parent=parent)
    session.add(area)
    session.flush()
    diff = {"code": [None, code], "name": [None, area.name], "kind": [None, kind]}
    diff["parent_id"] = [None, parent.id if parent else None]
    audit.record(
        session, actor=actor, action="create", entity="area", entity_id=area.id, now=now, diff=diff
    )
    return area


def rename_area(
    session: Session, *, actor: User, area: Area, code: str, name: str, now: datetime
) -> Area:
    """A new name and code (unique) for an area; its kind and place in the tree stay."""
    require_admin(actor)
    errors = {
        k: v
        for k, v in (("code", _code_errors(session, code, area.id)), ("name", _name_errors(name)))
        if v
    }
    if errors:
        raise Invalid("The area was not changed.", errors)
    area.code, area.name = code, name.strip()
    diff = audit.changes(area)
    if diff:
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="area",
            entity_id=area.id,
            now=now,
            diff=diff,
        )
    return area
