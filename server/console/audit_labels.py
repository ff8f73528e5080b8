"""Audit-trail codes as the reader's language says them: actions, record types, fields.

The one mapping for every page that shows the trail (the audit log, a household's
timeline); an unknown code is shown as it is stored.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from server.console.blueprint import bp
from sync.protocol import canonical_json

ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "import": _l("Imported"),
    "login": _l("Tablet sign-in"),
    "console_login": _l("Console sign-in"),
    "revoke": _l("Token revoked"),
    "password_change": _l("Password changed"),
    "password_reset": _l("Password reset by an admin"),
    "deactivate": _l("Account deactivated"),
    "reactivate": _l("Account reactivated"),
    "assign": _l("Caseload assigned"),
    "cycle_change": _l("Visit cycle changed"),
    "approve": _l("Approved"),
    "return": _l("Returned"),
    "sync_create": _l("Synced from a tablet"),
    "sync_correct": _l("Corrected on a tablet"),
    "sync_update": _l("Edited on a tablet"),
}
ENTITIES = {
    "household": _l("Household"),
    "person": _l("Household member"),
    "visit": _l("Visit"),
    "interview": _l("Neighbourhood interview"),
    "warning": _l("Warning"),
    "lead": _l("Lead"),
    "user": _l("Account"),
    "device": _l("Tablet"),
    "area": _l("Area"),
    "schedule_policy": _l("Schedule policy"),
}
FIELDS = {
    "active": _l("Active"),
    "app_version": _l("App version"),
    "area_id": _l("Area"),
    "assigned_advisor_id": _l("Assigned advisor"),
    "birth_date": _l("Date of birth"),
    "categories": _l("Categories"),
    "code": _l("Code"),
    "cycle_override": _l("Cycle override"),
    "device_name": _l("Tablet"),
    "display_name": _l("Name"),
    "employment": _l("Employment"),
    "enrolled_on": _l("Enrolled on"),
    "external_id": _l("Household number"),
    "fields": _l("Fields"),
    "gender": _l("Gender"),
    "hardship_level": _l("Hardship level"),
    "head_name": _l("Head of household"),
    "health": _l("Health"),
    "household_id": _l("Household"),
    "id": _l("Id"),
    "id_number": _l("ID number"),
    "kind": _l("Kind"),
    "labour_capacity": _l("Labour capacity"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "name": _l("Name"),
    "notes": _l("Notes"),
    "on_behalf_of": _l("On behalf of"),
    "parent_id": _l("Belongs to"),
    "password_hash": _l("Password"),
    "phone": _l("Phone"),
    "policy": _l("Schedule policy"),
    "reason": _l("Reason"),
    "registration_community_id": _l("Registration community"),
    "registration_street_id": _l("Registration street"),
    "relation": _l("Relation to the head"),
    "residence_address": _l("Address"),
    "residence_community_id": _l("Residence community"),
    "residence_street_id": _l("Residence street"),
    "review_comment": _l("Return comment"),
    "role": _l("Role"),
    "source": _l("Source"),
    "status": _l("Status"),
    "token_hash": _l("Token"),
    "username": _l("Username"),
    "visit_cycle": _l("Visit cycle"),
}
LONG = 120  # characters of a value the page shows (the CSV export has it all)
FIRST = 8  # fields of one event the page lists (a new household's record has ~20)


def action_label(code: str) -> str:
    return str(ACTIONS[code]) if code in ACTIONS else code


def entity_label(code: str) -> str:
    return str(ENTITIES[code]) if code in ENTITIES else code


def field_label(name: str) -> str:
    return str(FIELDS[name]) if name in FIELDS else name


def value_text(value: Any, limit: int | None = None) -> str:
    """A stored value as text (JSON for lists and objects), cut to ``limit`` characters."""
    if value is None:
        text = "—"
    elif isinstance(value, str):
        text = value
    else:
        text = canonical_json(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def changes(diff: dict[str, Any], limit: int | None = LONG) -> list[tuple[str, str, str]]:
    """``(field label, old, new)`` for each field of a (masked) diff."""
    rows = []
    for name, pair in (diff or {}).items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        rows.append((field_label(name), value_text(old, limit), value_text(new, limit)))
    return rows


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "audit_action": action_label,
        "audit_entity": entity_label,
        "audit_changes": changes,
    }
