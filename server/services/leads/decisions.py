"""A supervisor's decision on a lead (走访发现): confirm it into monitoring (a household is
enrolled through :func:`households.enrol_household`) or decline it with a reason."""

from __future__ import annotations

import uuid
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from server.models import Area, Household, Lead, User
from server.services.core import audit, scope
from server.services.core.errors import Conflict, Invalid, NotFound
from server.services.households import households, schedule
from sync.fields import resident_id
from sync.records import HouseholdSchema, PersonSchema

_HOUSEHOLD = HouseholdSchema(exclude=("id", "cycle_override", "status"))
_HEAD = PersonSchema(exclude=("id", "household_id"))


def get_lead(session: Session, actor: User, lead_id: uuid.UUID) -> Lead:
    """A lead of the actor's streets (404 for any other: ids cannot be probed)."""
    lead = session.scalar(select(Lead).where(Lead.id == lead_id, scope.lead_filter(session, actor)))
    if lead is None:
        raise NotFound("No such lead, or it is outside your area.")
    return lead


def _open(session: Session, actor: User, lead_id: uuid.UUID) -> Lead:
    lead = get_lead(session, actor, lead_id)
    # Locked until commit and read again: of two supervisors deciding one lead at once,
    # the second sees the first's decision (never two households from one lead).
    session.refresh(lead, with_for_update=True)
    if lead.status != "new":
        raise Conflict("This lead has been decided already.", {"status": ["Decided already."]})
    return lead


def _community(session: Session, actor: User, community_id: int | None, field: str) -> Area:
    area = session.get(Area, community_id) if community_id else None
    if area is None or area.kind != "community" or not scope.can_see_area(session, actor, area):
        raise Invalid("No such community.", {field: ["No such community in your area."]})
    return area


def _head(lead: Lead, form: dict) -> dict:
    """The head of household as a member: name from the lead, birth date and gender from
    the ID number (they are encoded in it), the rest from the form."""
    number = form.get("id_number") or ""
    data = {
        "name": lead.head_name,
        "id_number": number,
        "relation": "head",
        "health": form.get("health"),
        "labour_capacity": form.get("labour_capacity"),
        "employment": form.get("employment"),
    }
    try:
        compact = resident_id(number)
        data["birth_date"] = ric.get_birth_date(compact).isoformat()
        data["gender"] = "male" if int(compact[16]) % 2 else "female"
    except Exception:  # noqa: BLE001 - the schema below reports the bad number by field
        data["birth_date"], data["gender"] = "2000-01-01", "male"
    return data


def _load(schema, data: dict) -> dict:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise Invalid("The lead cannot be confirmed.", _flat(error.messages)) from error


# The enrolment's field names → the confirm form's.
_FORM_FIELD = {
    "assigned_advisor_id": "advisor_id",
    "registration_street_id": "registration_community_id",
    "residence_street_id": "residence_community_id",
}


def _form_fields(errors: dict) -> dict[str, list[str]]:
    """Enrolment errors under the form's field names (the head is member 0)."""
    found: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if key == "persons":
            for member in messages.values():
                for name, texts in member.items():
                    found.setdefault(name, []).extend(texts)
        else:
            found.setdefault(_FORM_FIELD.get(key, key), []).extend(messages)
    return found


def _flat(messages: dict) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}


def confirm_lead(
    session: Session,
    *,
    actor: User,
    lead_id: uuid.UUID,
    form: dict,
    now: datetime,
    tz: str,
) -> Household:
    """Enrol the lead's household and mark the lead confirmed with a link to it.

    ``form``: external_id, categories, hardship_level, registration_community_id,
    residence_community_id, advisor_id (default: the lead's advisor), and the head's
    id_number, health, labour_capacity, employment. Field errors come back as
    :class:`Invalid` with the form's field names, and nothing is written.
    """
    lead = _open(session, actor, lead_id)
    registration = _community(
        session, actor, form.get("registration_community_id"), "registration_community_id"
    )
    residence_id = form.get("residence_community_id") or registration.id
    residence = _community(session, actor, residence_id, "residence_community_id")
    data = _load(
        _HOUSEHOLD,
        {
            "external_id": form.get("external_id") or "",
            "head_name": lead.head_name,
            "phone": lead.phone,
            "residence_address": lead.residence_address,
            "registration_street_id": registration.parent_id,
            "registration_community_id": registration.id,
            "residence_street_id": residence.parent_id,
            "residence_community_id": residence.id,
            "categories": form.get("categories") or [],
            "hardship_level": form.get("hardship_level"),
            "assigned_advisor_id": form.get("advisor_id") or lead.advisor_id,
            "enrolled_on": schedule.local_today(tz, now).isoformat(),
            "notes": lead.observations[:2000],
            "location": lead.location,
        },
    )
    head = _load(_HEAD, _head(lead, form))
    try:
        household = households.enrol_household(
            session, actor=actor, data={**data, "persons": [head]}, now=now, tz=tz
        )
    except Invalid as error:
        raise Invalid(error.message, _form_fields(error.errors)) from error
    _decide(session, actor, lead, "confirmed", now, household_id=household.id)
    return household


def decline_lead(
    session: Session, *, actor: User, lead_id: uuid.UUID, reason: str, now: datetime
) -> Lead:
    """Decline the lead with a reason (kept on the lead and in the audit trail)."""
    lead = _open(session, actor, lead_id)
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 2000:
        raise Invalid("Say why the lead is declined.", {"reason": ["2 to 2,000 characters."]})
    _decide(session, actor, lead, "dismissed", now, reason=reason)
    return lead


def _decide(session, actor, lead, status, now, *, household_id=None, reason=None) -> None:
    lead.status = status
    lead.decided_at, lead.decided_by_id = now, actor.id
    lead.household_id, lead.decision_reason = household_id, reason
    audit.record(
        session,
        actor=actor,
        action="confirm" if status == "confirmed" else "decline",
        entity="lead",
        entity_id=lead.id,
        now=now,
        diff=audit.changes(lead),
    )
    session.flush()
