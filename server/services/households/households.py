"""Reading and creating households and their members, always within the actor's scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from server.models import Area, Household, Person, User
from server.services.caseload import assignments as caseload
from server.services.core import audit, scope
from server.services.core.constraints import broke, flushed
from server.services.core.errors import Conflict, Invalid, NotFound
from server.services.core.paging import Page
from server.services.households import identity, schedule
from sync.records import CycleOverrideSchema, mask_id_number


@dataclass(frozen=True)
class HouseholdFilter:
    """What a household list may be narrowed by."""

    street_id: int | None = None
    community_id: int | None = None
    advisor_id: int | None = None
    q: str | None = None
    separated: bool | None = None


def list_households(
    session: Session, actor: User, filters: HouseholdFilter, page: int, page_size: int
) -> Page:
    """Households the actor may see, narrowed by ``filters``, ordered by external id."""
    stmt = select(Household).where(scope.household_filter(session, actor))
    scope.require_area(session, actor, filters.street_id, "street")
    scope.require_area(session, actor, filters.community_id, "community")
    stmt = stmt.where(scope.area_condition(filters.street_id, filters.community_id))
    if filters.advisor_id is not None:
        stmt = stmt.where(Household.assigned_advisor_id == filters.advisor_id)
    if filters.separated is not None:
        differs = Household.registration_street_id != Household.residence_street_id
        stmt = stmt.where(differs if filters.separated else ~differs)
    if filters.q:
        # autoescape: a "%" or "_" typed into the search box is a character, not a wildcard.
        stmt = stmt.where(
            or_(
                Household.head_name.contains(filters.q, autoescape=True),
                Household.external_id.contains(filters.q, autoescape=True),
                Household.residence_address.contains(filters.q, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.order_by(Household.external_id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return Page(items=list(rows), total=total or 0, page=page, page_size=page_size)


def _person_view(person: Person, show_id_number: bool) -> SimpleNamespace:
    """A read-only copy of a member with the ID number masked unless the role may see it."""
    values = {c.key: getattr(person, c.key) for c in Person.__mapper__.column_attrs}
    if values["id_number"] and not show_id_number:
        values["id_number"] = mask_id_number(values["id_number"])
    return SimpleNamespace(**values)


def get_household(session: Session, actor: User, household_id: uuid.UUID) -> SimpleNamespace:
    """One household with its members, if the actor may see it (404 otherwise)."""
    stmt = (
        select(Household)
        .where(Household.id == household_id, scope.household_filter(session, actor))
        .options(selectinload(Household.persons))
    )
    household = session.scalar(stmt)
    if household is None:
        raise NotFound("No such household, or it is outside your area.")
    show = scope.can_see_id_numbers(actor)
    values = {c.key: getattr(household, c.key) for c in Household.__mapper__.column_attrs}
    return SimpleNamespace(
        **values,
        location=household.location,
        separated=household.separated,
        persons=[_person_view(p, show) for p in household.persons],
    )


def _check_references(session: Session, actor: User, data: dict) -> dict[str, list[str]]:
    """Field errors for area, advisor and household-number references in ``data``."""
    errors: dict[str, list[str]] = {}
    for side in ("registration", "residence"):
        street = session.get(Area, data[f"{side}_street_id"])
        community = session.get(Area, data[f"{side}_community_id"])
        if street is None or street.kind != "street":
            errors[f"{side}_street_id"] = ["No such street."]
        elif community is None or community.parent_id != street.id:
            errors[f"{side}_community_id"] = ["No such community in that street."]
    streets = {data["registration_street_id"], data["residence_street_id"]}
    if actor.role != "admin" and not streets & scope.street_ids(session, actor):
        errors["registration_street_id"] = ["Neither street is in your area."]
    try:
        caseload.check_advisor(session, data.get("assigned_advisor_id"), streets)
    except Invalid as error:
        errors.update(error.errors)
    taken = select(Household.id).where(Household.external_id == data["external_id"])
    if session.scalar(taken) is not None:
        errors["external_id"] = ["A household with this number already exists."]
    if data.get("id") is not None and session.get(Household, data["id"]) is not None:
        errors["id"] = ["A household with this id already exists."]
    return errors


def enrol_household(
    session: Session, *, actor: User, data: dict, now: datetime, tz: str
) -> Household:
    """Enrol a household and its members after checking every reference (API entry).

    ``tz`` is the zone whose local date decides the household's first cycle (an override
    expiring yesterday, local time, no longer applies).
    """
    data = dict(data)
    persons = data.pop("persons", [])
    errors = _check_references(session, actor, data) | identity.id_number_errors(session, persons)
    if errors:
        raise Invalid("The household cannot be enrolled.", errors)
    try:
        with flushed(session):
            return create_household(
                session, actor=actor, data=data, persons=persons, now=now, tz=tz
            )
    except IntegrityError as error:
        # Another enrolment of the same person committed after the check above: the
        # database's rule refused this one; the check, run again, now says which member.
        if not broke(error, identity.ACTIVE_ID_NUMBER_INDEX, "person", "id_number"):
            raise
        errors = identity.id_number_errors(session, persons) or identity.someone_enrolled()
        raise Invalid("The household cannot be enrolled.", errors) from error


def create_household(
    session: Session,
    *,
    actor: User | None,
    data: dict,
    persons: list[dict],
    now: datetime,
    tz: str,
) -> Household:
    """Enrol a household with its members (data already validated by the wire schemas)."""
    # Read before adding anything: a query would autoflush a household without its cycle.
    policy = schedule.get_policy(session)
    data = dict(data)
    advisor_id = data.pop("assigned_advisor_id", None)
    if data.get("cycle_override"):
        # Stored as JSON: dump it back to its wire form (dates as ISO strings).
        data["cycle_override"] = CycleOverrideSchema().dump(data["cycle_override"])
    household = Household(id=data.pop("id", None) or uuid.uuid4(), **data)
    session.add(household)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="household",
        entity_id=household.id,
        now=now,
        diff=audit.changes(household),
    )
    for member in persons:
        person = Person(
            **{"id": uuid.uuid4(), **member, "household_id": household.id},
            household_status=household.status or "active",  # its copy (models.household)
        )
        household.persons.append(person)
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="person",
            entity_id=person.id,
            now=now,
            diff=audit.changes(person),
        )
    _refresh_cycle(session, household, policy, actor, now, tz)
    if advisor_id is not None:
        caseload.assign(session, household=household, advisor_id=advisor_id, actor=actor, now=now)
    # Rows that refer to the household (visits, assignments) may follow in this
    # transaction; they have no ORM relationship to order the inserts by.
    session.flush()
    return household


def _in_scope(
    session: Session, actor: User, household_id: uuid.UUID | None, *, lock: bool = False
) -> Household:
    """The household if the actor may see it; 404 (never 403) so ids cannot be probed.

    ``lock`` holds its row until the transaction ends (PostgreSQL; SQLite's transactions
    take the whole database), so a version compared against it cannot change meanwhile.
    The lock is :func:`locks.locked`'s (FOR NO KEY UPDATE, the row read afresh).
    """
    stmt = select(Household).where(
        Household.id == household_id, scope.household_filter(session, actor)
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    household = session.scalar(stmt) if household_id is not None else None
    if household is None:
        raise NotFound("No such household, or it is outside your area.")
    return household


def _refresh_cycle(
    session: Session, household: Household, policy, actor: User | None, now: datetime, tz: str
) -> None:
    """Bring the household's visit cycle in line with the policy as of today (local)."""
    schedule.refresh_cycle(
        session,
        household=household,
        policy=policy,
        today=schedule.local_today(tz, now),
        actor=actor,
        now=now,
    )


def _save_changes(
    session: Session,
    *,
    actor: User,
    row,
    entity: str,
    changes: dict,
    household: Household,
    policy,
    now: datetime,
    tz: str,
) -> None:
    """Apply ``changes`` to ``row``, audit what really changed, bring the household's
    visit cycle in line."""
    for field, value in changes.items():
        setattr(row, field, value)
    diff = audit.changes(row)
    if diff:
        audit.record(
            session,
            actor=actor,
            action="update",
            entity=entity,
            entity_id=row.id,
            now=now,
            diff=diff,
        )
    _refresh_cycle(session, household, policy, actor, now, tz)


def update_household(
    session: Session,
    *,
    actor: User,
    household_id: uuid.UUID,
    changes: dict,
    now: datetime,
    tz: str,
    base_version: int | None = None,
) -> Household:
    """Change a household's situation fields; its visit cycle follows (with an audit event).

    ``changes`` holds only the fields sent (already validated by the wire schema); an
    override of ``None`` removes the override. With ``base_version`` (the version the
    caller's form was built from) a household changed meanwhile is a :class:`Conflict`
    and nothing is written.
    """
    # Locked whether or not a version is compared: a reassignment decides on who holds it,
    # and a tablet's merge (push) must not read it half way through (docs/architecture.md).
    household = _in_scope(session, actor, household_id, lock=True)
    if base_version is not None and household.version != base_version:
        raise Conflict(
            "The household was changed by someone else since you opened it.",
            {"version": ["Changed since you opened it."]},
        )
    _check_override(changes.get("cycle_override"), schedule.local_today(tz, now))
    policy = schedule.get_policy(session)
    changes = dict(changes)
    if "assigned_advisor_id" in changes:
        advisor_id = changes.pop("assigned_advisor_id")
        caseload.check_advisor(
            session,
            advisor_id,
            {household.registration_street_id, household.residence_street_id},
        )
        caseload.assign(session, household=household, advisor_id=advisor_id, actor=actor, now=now)
    if changes.get("cycle_override"):
        changes["cycle_override"] = CycleOverrideSchema().dump(changes["cycle_override"])
    _save_changes(
        session,
        actor=actor,
        row=household,
        entity="household",
        changes=changes,
        household=household,
        policy=policy,
        now=now,
        tz=tz,
    )
    return household


def _check_override(override: dict | None, today: date) -> None:
    """A new override may not have run out already (``today`` is the local date): it would
    be stored and never apply."""
    expires = (override or {}).get("expires_on")
    if isinstance(expires, str):  # the stored (ISO) form, as a caller may hold it
        expires = date.fromisoformat(expires)
    if expires is not None and expires < today:
        raise Invalid(
            "The override would already have expired.",
            {"cycle_override": {"expires_on": ["Must not be in the past."]}},
        )


def update_person(
    session: Session,
    *,
    actor: User,
    household_id: uuid.UUID,
    person_id: uuid.UUID,
    changes: dict,
    now: datetime,
    tz: str,
) -> Person:
    """Change a member's health, labour capacity or employment; the cycle follows."""
    _in_scope(session, actor, household_id, lock=True)  # household before member: lock order
    person = session.get(Person, person_id)
    if person is None or person.household_id != household_id:
        raise NotFound("No such member in this household.")
    policy = schedule.get_policy(session)
    _save_changes(
        session,
        actor=actor,
        row=person,
        entity="person",
        changes=changes,
        household=person.household,
        policy=policy,
        now=now,
        tz=tz,
    )
    return person
