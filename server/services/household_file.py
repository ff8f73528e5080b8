"""The household file (一户一档): members, level and cycle with its reason, both streets,
and the whole timeline of visits, interviews, warnings and changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.models import Area, AuditEvent, Household, Interview, Person, User, Visit, Warning
from server.services import households, schedule
from sync.policy import cycle_for


@dataclass(frozen=True)
class TimelineEntry:
    """Something that happened to the household: when, what, who."""

    at: datetime
    kind: str  # visit, interview, warning, change
    row: object
    who: str


@dataclass(frozen=True)
class HouseholdFile:
    """Everything the file page shows."""

    household: SimpleNamespace  # members masked per role (households.get_household)
    areas: dict[int, str]
    advisor: User | None
    cycle_reason: str
    timeline: list[TimelineEntry]


def household_file(
    session: Session, actor: User, household_id: uuid.UUID, *, today: date, lang: str = "zh"
) -> HouseholdFile:
    """The file of one household in the actor's scope (404 otherwise), newest first."""
    view = households.get_household(session, actor, household_id)
    row = session.get(Household, household_id)
    _cycle, reason = cycle_for(schedule.facts_of(row), schedule.get_policy(session), today, lang)
    area_ids = {
        view.registration_street_id,
        view.registration_community_id,
        view.residence_street_id,
        view.residence_community_id,
    }
    areas = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(area_ids))).all())
    advisor = session.get(User, view.assigned_advisor_id) if view.assigned_advisor_id else None
    return HouseholdFile(view, areas, advisor, reason, _timeline(session, household_id))


def _timeline(session: Session, household_id: uuid.UUID) -> list[TimelineEntry]:
    visits = session.scalars(
        select(Visit).where(Visit.household_id == household_id, Visit.status != "draft")
    ).all()
    interviews = session.scalars(
        select(Interview).where(Interview.household_id == household_id, Interview.status != "draft")
    ).all()
    warnings = session.scalars(select(Warning).where(Warning.household_id == household_id)).all()
    person_ids = [
        str(p)
        for p in session.scalars(select(Person.id).where(Person.household_id == household_id))
    ]
    changes = session.scalars(
        select(AuditEvent).where(
            or_(
                (AuditEvent.entity == "household") & (AuditEvent.entity_id == str(household_id)),
                (AuditEvent.entity == "person") & AuditEvent.entity_id.in_(person_ids),
            )
        )
    ).all()
    # Only the names of the people in this timeline, not every user's.
    who = {r.advisor_id for r in (*visits, *interviews)} | {e.actor_id for e in changes}
    who.discard(None)
    names = {}
    if who:
        names = dict(
            session.execute(select(User.id, User.display_name).where(User.id.in_(who))).all()
        )
    entries = [TimelineEntry(v.visited_at, "visit", v, names.get(v.advisor_id, "")) for v in visits]
    entries += [
        TimelineEntry(i.interviewed_at, "interview", i, names.get(i.advisor_id, ""))
        for i in interviews
    ]
    entries += [TimelineEntry(w.raised_at, "warning", w, "") for w in warnings]
    entries += [TimelineEntry(e.at, "change", e, names.get(e.actor_id, "")) for e in changes]
    return sorted(entries, key=lambda e: e.at, reverse=True)
