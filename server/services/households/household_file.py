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
from server.services.core import audit, scope
from server.services.core.errors import NotFound
from server.services.households import households, schedule
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
    areas: dict[int, str]  # the household's areas and any an audited change names
    advisor: User | None
    cycle_reason: str
    timeline: list[TimelineEntry]
    users: dict[int, str]  # display names of the users an audited change names
    members: dict[str, str]  # member id → name, for changes to a member

    @property
    def version(self) -> int:
        """The version the page was read at (forms send it back to detect a change)."""
        return self.household.version


def household_file(
    session: Session, actor: User, household_id: uuid.UUID, *, today: date, lang: str = "zh"
) -> HouseholdFile:
    """The file of one household in the actor's scope (404 otherwise), newest first."""
    view = households.get_household(session, actor, household_id)
    row = session.get(Household, household_id)
    _cycle, reason = cycle_for(schedule.facts_of(row), schedule.get_policy(session), today, lang)
    timeline = _timeline(session, household_id)
    events = [e.row for e in timeline if e.kind == "change"]
    area_ids = {
        view.registration_street_id,
        view.registration_community_id,
        view.residence_street_id,
        view.residence_community_id,
    } | _referenced(events, AREA_FIELDS)
    areas = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(area_ids))).all())
    user_ids = _referenced(events, USER_FIELDS)
    users = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all()
    )
    members = {str(p.id): p.name for p in view.persons}
    advisor = session.get(User, view.assigned_advisor_id) if view.assigned_advisor_id else None
    return HouseholdFile(view, areas, advisor, reason, timeline, users, members)


# Audited fields whose values are ids of areas or users (shown by name in the timeline).
AREA_FIELDS = frozenset(
    f"{side}_{kind}_id"
    for side in ("registration", "residence")
    for kind in ("street", "community")
)
USER_FIELDS = frozenset({"assigned_advisor_id", "on_behalf_of"})


def _referenced(events: list[AuditEvent], fields: frozenset[str]) -> set[int]:
    """The integer ids that ``fields`` take, before or after, in the events' diffs."""
    ids: set[int] = set()
    for event in events:
        for field in fields & set(event.diff or {}):
            ids |= {v for v in event.diff[field] if isinstance(v, int)}
    return ids


def record_export(
    session: Session, actor: User, household_id: uuid.UUID, *, fmt: str, now: datetime
) -> None:
    """Note in the audit trail that ``actor`` took the file away as ``fmt`` (it holds
    personal data); 404 outside the actor's scope."""
    visible = select(Household.id).where(
        Household.id == household_id, scope.household_filter(session, actor)
    )
    if session.scalar(visible) is None:
        raise NotFound("No such household, or it is outside your area.")
    audit.record(
        session,
        actor=actor,
        action="export",
        entity="household",
        entity_id=household_id,
        now=now,
        diff={"format": [None, fmt]},
    )
    session.flush()


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
    # Only the names the timeline shows (not every user of the deployment).
    who = {r.advisor_id for r in (*visits, *interviews)} | {e.actor_id for e in changes}
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(who - {None}))).all()
    )
    entries = [TimelineEntry(v.visited_at, "visit", v, names.get(v.advisor_id, "")) for v in visits]
    entries += [
        TimelineEntry(i.interviewed_at, "interview", i, names.get(i.advisor_id, ""))
        for i in interviews
    ]
    entries += [TimelineEntry(w.raised_at, "warning", w, "") for w in warnings]
    entries += [TimelineEntry(e.at, "change", e, names.get(e.actor_id, "")) for e in changes]
    return sorted(entries, key=lambda e: e.at, reverse=True)
