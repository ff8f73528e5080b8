"""Audit events as people read them: actions, entities and fields as labels, values through
``sync.enums`` labels or the names of the areas and users they refer to."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.console.blueprint import bp
from server.console.labels import label, labels

ACTIONS = {
    "create": _l("Enrolled"),
    "import": _l("Imported"),
    "update": _l("Changed"),
    "cycle_change": _l("Visit cycle changed"),
    "assign": _l("Assigned to an advisor"),
    "sync_update": _l("Changed on the tablet"),
    "sync_create": _l("Recorded on the tablet"),
    "sync_correct": _l("Corrected on the tablet"),
    "approve": _l("Approved"),
    "return": _l("Returned"),
    "export": _l("Exported"),
}
ENTITIES = {
    "household": _l("Household"),
    "person": _l("Member"),
    "visit": _l("Visit"),
    "interview": _l("Interview"),
}
FIELDS = {
    "external_id": _l("Household number"),
    "head_name": _l("Head of household"),
    "phone": _l("Phone"),
    "residence_address": _l("Address"),
    "registration_street_id": _l("Registration street"),
    "registration_community_id": _l("Registration community"),
    "residence_street_id": _l("Residence street"),
    "residence_community_id": _l("Residence community"),
    "categories": _l("Categories"),
    "hardship_level": _l("Hardship level"),
    "visit_cycle": _l("Visit cycle"),
    "cycle_since": _l("Cycle counted from"),
    "cycle_override": _l("Cycle override"),
    "reason": _l("Reason"),
    "assigned_advisor_id": _l("Advisor"),
    "on_behalf_of": _l("On behalf of"),
    "status": _l("Status"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "enrolled_on": _l("Enrolled on"),
    "notes": _l("Notes"),
    "name": _l("Name"),
    "id_number": _l("ID number"),
    "gender": _l("Gender"),
    "birth_date": _l("Birth date"),
    "relation": _l("Relation"),
    "health": _l("Health"),
    "labour_capacity": _l("Labour capacity"),
    "employment": _l("Employment"),
    "format": _l("Format"),
    "source": _l("Source"),
    "fields": _l("Fields"),
}
# Fields whose codes are labelled by a sync.enums enumeration.
ENUM_OF = {
    "hardship_level": "HardshipLevel",
    "visit_cycle": "VisitCycle",
    "status": "HouseholdStatus",
    "gender": "Gender",
    "relation": "Relation",
    "health": "Health",
    "labour_capacity": "LabourCapacity",
    "employment": "Employment",
}
# Bookkeeping that says nothing to a reader, and the whole record of an enrolment.
HIDDEN = frozenset({"field_versions", "household_id", "id"})
SUMMARY_OF_NEW = ("name", "hardship_level", "categories", "format", "source")


@dataclass(frozen=True)
class Change:
    """One field of an audited change: its label and its old and new values, as text."""

    field: str
    old: str
    new: str


def action_label(event) -> str:
    """ "Changed · Member 张三" — what happened, to what."""
    action = str(ACTIONS.get(event.action, event.action))
    entity = str(ENTITIES.get(event.entity, event.entity))
    return f"{action} · {entity}"


def changes(event, file) -> list[Change]:
    """The fields of ``event`` a reader cares about, labelled, with values as labels.

    ``file`` (a :class:`~server.services.household_file.HouseholdFile`) gives the names of
    the areas, users and members the values refer to. An enrolment or import lists a
    summary, not every field it set.
    """
    diff = {k: v for k, v in (event.diff or {}).items() if k not in HIDDEN}
    if event.action in ("create", "import"):
        diff = {k: v for k, v in diff.items() if k in SUMMARY_OF_NEW}
    return [
        Change(str(FIELDS.get(field, field)), _value(field, old, file), _value(field, new, file))
        for field, (old, new) in diff.items()
    ]


def member_of(event, file) -> str:
    """The member a change to a person was about (their name), else ''."""
    return file.members.get(event.entity_id, "") if event.entity == "person" else ""


def _value(field: str, value, file) -> str:
    if field == "cycle_override":
        return override_text(value)  # "none" is a value here: an override set or removed
    if value is None or value == "" or value == []:
        return "—"
    if value == "***":
        return _("(hidden)")
    if field in ENUM_OF:
        return label(ENUM_OF[field], value)
    if field == "categories":
        return labels("Category", value)
    if field.endswith(("_street_id", "_community_id")):
        return file.areas.get(value, str(value))
    if field in ("assigned_advisor_id", "on_behalf_of"):
        return file.users.get(value, str(value))
    if field == "fields":
        return "、".join(str(FIELDS.get(f, f)) for f in value)
    if field == "format":
        return str(value).upper()
    return str(value)


def override_text(override: dict | None) -> str:
    """An override as a sentence: "Monthly: reason (until 2027-01-31)"."""
    if not override:
        return _("None")
    cycle, reason = label("VisitCycle", override.get("cycle")), override.get("reason", "")
    if override.get("expires_on"):
        return _(
            "%(cycle)s: %(reason)s (until %(day)s)",
            cycle=cycle,
            reason=reason,
            day=override["expires_on"],
        )
    return _("%(cycle)s: %(reason)s", cycle=cycle, reason=reason)


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "audit_action": action_label,
        "audit_changes": changes,
        "audit_member": member_of,
        "override_text": override_text,
    }
