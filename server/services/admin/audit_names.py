"""The records an audit log page names, as people know them: a household by its head, a
visit or interview by its household's head and date, a member, an account or an area by name."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Area, AuditEvent, Household, Interview, Person, User, Visit
from server.services.core import paging
from sync import protocol

# The synced records the page names (warnings are shown by their type only).
UUID_ENTITIES = tuple(e for e in protocol.ENTITIES if e != "warning")
INT_ENTITIES = ("user", "area")


@dataclass(frozen=True)
class Named:
    """How a record is read: a name, the household it belongs to, when it happened."""

    name: str
    household_id: uuid.UUID | None = None
    at: datetime | None = None


def _ids(events: list[AuditEvent]) -> dict[str, set]:
    wanted: dict[str, set] = defaultdict(set)
    for event in events:
        if event.entity in UUID_ENTITIES:
            try:
                wanted[event.entity].add(uuid.UUID(str(event.entity_id)))
            except ValueError:
                continue  # not a record id: shown by its type only
        elif event.entity in INT_ENTITIES:
            number = paging.whole_number(event.entity_id)
            if number is not None:
                wanted[event.entity].add(number)
    return wanted


def record_names(session: Session, events: list[AuditEvent]) -> dict[tuple[str, str], Named]:
    """``(entity, entity_id)`` → :class:`Named` for the events' records that still exist
    (one query per kind of record on the page)."""
    wanted = _ids(events)
    found: dict[tuple[str, str], Named] = {}
    for model, at in ((Visit, Visit.visited_at), (Interview, Interview.interviewed_at)):
        ids = wanted.get(model.__tablename__)
        if ids:
            rows = session.execute(
                select(model.id, at, Household.id, Household.head_name)
                .join(Household, Household.id == model.household_id)
                .where(model.id.in_(ids))
            )
            for rid, when, hid, head in rows:
                found[(model.__tablename__, str(rid))] = Named(head, hid, when)
    if ids := wanted.get("household"):
        rows = session.execute(
            select(Household.id, Household.head_name, Household.external_id).where(
                Household.id.in_(ids)
            )
        )
        for hid, head, number in rows:
            found[("household", str(hid))] = Named(f"{head}（{number}）", hid)
    if ids := wanted.get("person"):
        rows = session.execute(
            select(Person.id, Person.name, Person.household_id).where(Person.id.in_(ids))
        )
        for pid, name, hid in rows:
            found[("person", str(pid))] = Named(name, hid)
    for entity, model, column in (("user", User, User.display_name), ("area", Area, Area.name)):
        if ids := wanted.get(entity):
            for rid, name in session.execute(select(model.id, column).where(model.id.in_(ids))):
                found[(entity, str(rid))] = Named(name)
    return found


# Diff fields whose values are user ids or area ids (one id, or a list of them).
USER_FIELDS = frozenset(
    {
        "assigned_advisor_id",
        "to_advisor_id",
        "from_advisor_ids",
        "decided_by_id",
        "corrected_by_id",
        "on_behalf_of",
    }
)
AREA_FIELDS = frozenset({"area_id", "parent_id", "street_id", "street_ids"})


def is_area_field(name: str) -> bool:
    return name in AREA_FIELDS or name.endswith(("_street_id", "_community_id"))


# A caseload move's ``source`` is an id whose kind the move's ``kind`` says.
SOURCE_KINDS = {"advisor": "user", "community": "area"}


def ref_kind(name: str, diff: dict) -> str | None:
    """``"user"``, ``"area"`` or None: what the ids in the diff field ``name`` refer to."""
    if name in USER_FIELDS:
        return "user"
    if is_area_field(name):
        return "area"
    if name == "source":
        kind = diff.get("kind")
        return SOURCE_KINDS.get(kind[1] if isinstance(kind, list) else kind)
    return None


def as_id(value) -> int | None:
    """An id as stored in a diff (a number, or a number written as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return paging.whole_number(value) if isinstance(value, str) else None


def referenced_names(session: Session, diffs: list[dict]) -> dict[str, dict[int, str]]:
    """``{"user": {id: name}, "area": {id: name}}`` for the ids the diffs' values hold."""
    wanted: dict[str, set[int]] = {"user": set(), "area": set()}
    for diff in diffs:
        for name, pair in (diff or {}).items():
            kind = ref_kind(name, diff)
            if kind is None or not isinstance(pair, list):
                continue
            for value in pair:
                values = value if isinstance(value, list) else [value]
                wanted[kind].update(n for n in map(as_id, values) if n is not None)
    users = session.execute(
        select(User.id, User.display_name).where(User.id.in_(wanted["user"]))
    ).all()
    areas = session.execute(select(Area.id, Area.name).where(Area.id.in_(wanted["area"]))).all()
    return {"user": dict(users), "area": dict(areas)}
