"""Audit events as people read them: the one mapping of actions, record types and fields
(the audit log, a household's timeline); an unknown code is shown as it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.console.blueprint import bp
from server.console.labels import joined, label, labels
from server.services.admin import audit_names
from sync.protocol import canonical_json

ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "import": _l("Imported"),
    "roster_import": _l("Roster imported"),
    "export": _l("Exported"),
    "login": _l("Tablet sign-in"),
    "console_login": _l("Console sign-in"),
    "revoke": _l("Token revoked"),
    "revoke_retire": _l("Tablet retired"),
    "revoke_lost": _l("Tablet reported lost"),
    "wipe": _l("Tablet wiped"),
    "escrow_deposit": _l("Tablet's store key deposited"),
    "escrow_release": _l("Tablet's store key released to another advisor"),
    "lease_policy": _l("Offline lease changed"),
    "password_change": _l("Password changed"),
    "password_reset": _l("Password reset by an admin"),
    "deactivate": _l("Account deactivated"),
    "reactivate": _l("Account reactivated"),
    "assign": _l("Caseload assigned"),
    "reassign": _l("Caseloads moved"),
    "cycle_change": _l("Visit cycle changed"),
    "approve": _l("Approved"),
    "bulk_approve": _l("Approved together"),
    "return": _l("Returned"),
    "confirm": _l("Confirmed into monitoring"),
    "decline": _l("Declined"),
    "sync_create": _l("Synced from a tablet"),
    "sync_correct": _l("Corrected on a tablet"),
    "sync_update": _l("Edited on a tablet"),
    "run_now": _l("Job run on request"),
    "warning_raise": _l("Warning raised"),
    "warning_withdraw": _l("Warning withdrawn (the corrected record no longer raises it)"),
    "warning_reopen": _l("Warning raised again"),
    "warning_take": _l("Taken into verification"),
    "warning_dispose": _l("Disposal recorded"),
    "warning_close": _l("Warning closed"),
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
    "device_policy": _l("Tablet policy"),
    "review_batch": _l("Review batch"),
    "caseload": _l("Caseloads"),
    "roster": _l("Roster"),
    "job": _l("Periodic job"),
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
    "cycle_since": _l("Cycle counted from"),
    "device_name": _l("Tablet"),
    "display_name": _l("Name"),
    "employment": _l("Employment"),
    "enrolled_on": _l("Enrolled on"),
    "external_id": _l("Household number"),
    "fields": _l("Fields"),
    "format": _l("Format"),
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
    "next_run_at": _l("Next run"),
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
    "created_at": _l("Created at"),
    "decided_at": _l("Decided at"),
    "decided_by_id": _l("Decided by"),
    "decision_reason": _l("Reason for the decision"),
    "household_status": _l("Household status"),
    "income_change": _l("Income change"),
    "outcome": _l("Outcome"),
    "findings": _l("Findings"),
    "situation": _l("Situation"),
    "urgent": _l("Urgent"),
    "visited_at": _l("Visited at"),
    "interviewed_at": _l("Interviewed at"),
    "interviewee_role": _l("Interviewee"),
    "interviewee_name": _l("Interviewee's name"),
    "corroborates": _l("Corroborates"),
    "living_conditions": _l("Living conditions"),
    "observations": _l("Observations"),
    "statement": _l("Statement"),
    "needs": _l("Needs"),
    "persons_met": _l("Persons met"),
    "corrected_by_id": _l("Corrected by"),
    "estimated_monthly_income": _l("Estimated monthly income"),
    "suggested_categories": _l("Suggested categories"),
    "suggested_level": _l("Suggested level"),
    "level": _l("Level"),
    "disposal": _l("Disposal"),
    "disposal_reason": _l("Reason for the disposal"),
    "referred_to": _l("Referred to"),
    "source_key": _l("Raised by"),
    "also_street_id": _l("Street also notified"),
    "households": _l("Households"),
    "from_advisor_ids": _l("Previous advisors"),
    "to_advisor_id": _l("New advisor"),
    "street_ids": _l("Streets"),
    "street_id": _l("Street"),
    "records": _l("Records"),
    "record": _l("Record"),
    "counts": _l("Counts"),
    "encoding": _l("Encoding"),
    "persons": _l("Members"),
    "rows": _l("Rows"),
    "file": _l("File"),
    "discarded_at": _l("Discarded at"),
    "report_id": _l("Report"),
    "results": _l("Results"),
    "mutation_id": _l("Change id"),
    "entity": _l("Record type"),
    "area": _l("Area"),
    "revoke_kind": _l("Kind of revocation"),
    "pending_count": _l("Unsent records last reported"),
    "reported_at": _l("Reported at"),
    "wiped_at": _l("Wiped at"),
    "given_up": _l("Unsent records given up"),
    "lease_hours": _l("Offline lease (hours)"),
}
MOVE_KINDS = {
    "household": _l("One household"),
    "community": _l("A community"),
    "advisor": _l("An advisor's whole caseload"),
    "unassigned": _l("Households without an advisor"),
}
# Codes of these fields are labelled by a sync.enums enumeration in the log too.
LOG_ENUMS = {
    "role": "Role",
    "outcome": "Outcome",
    "income_change": "IncomeChange",
    "situation": "Situation",
    "interviewee_role": "IntervieweeRole",
    "corroborates": "Corroborates",
    "level": "WarningLevel",
    "disposal": "Disposal",
    "suggested_level": "HardshipLevel",
    "household_status": "HouseholdStatus",
    "revoke_kind": "RevokeKind",
}
LIST_ENUMS = {
    "categories": "Category",
    "suggested_categories": "Category",
    "findings": "Finding",
    "needs": "Need",
}
LONG = 120  # characters of a value the audit log shows (the CSV export has it all)
FIRST = 8  # fields of one event the audit log lists (a new household's record has ~20)


def action_label(code: str) -> str:
    return str(ACTIONS[code]) if code in ACTIONS else code


def entity_label(code: str) -> str:
    return str(ENTITIES[code]) if code in ENTITIES else code


def field_label(name: str) -> str:
    """A field's label; a roster import's ``head.health`` is the head's 健康状况."""
    if name.startswith("head."):
        return _("Head's %(field)s", field=field_label(name[5:]))
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


def changes(
    diff: dict[str, Any],
    limit: int | None = LONG,
    entity: str | None = None,
    refs: dict[str, dict[int, str]] | None = None,
) -> list[tuple[str, str, str]]:
    """``(field label, old, new)`` for each field of a (masked) diff; codes as labels. The
    page (``limit`` set) leaves out record ids the record column names already; the CSV
    export (no limit) keeps every field. ``refs`` names the users and areas values hold."""
    rows = []
    for name, pair in (diff or {}).items():
        if limit is not None and name in HIDDEN:
            continue
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        rows.append(
            (
                field_label(name),
                value_text(_log_value(name, old, entity, refs, diff), limit),
                value_text(_log_value(name, new, entity, refs, diff), limit),
            )
        )
    return rows


def _log_value(
    name: str, value: Any, entity: str | None, refs: dict | None = None, diff: dict | None = None
) -> Any:
    """A code as its label (``monthly`` → 每月), a flag as 是/否, a user or area id as its
    name, a list of households as a count; other values as stored."""
    field = name[5:] if name.startswith("head.") else name
    if value is None or value == "***":
        return value
    kind = audit_names.ref_kind(field, diff or {})
    if kind and refs is not None:
        names = refs.get(kind, {})
        values = value if isinstance(value, list) else [value]
        return joined(names.get(audit_names.as_id(v), str(v)) for v in values)
    if field == "source" and value == "demo":
        return _("Demo data")
    if field == "households" and isinstance(value, list):
        return _("%(n)d households", n=len(value))
    if entity == "caseload" and field == "kind" and isinstance(value, str):
        return str(MOVE_KINDS.get(value, value))
    if entity == "warning" and field == "kind" and isinstance(value, str):
        return label("WarningKind", value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field == "status":
        kind = "RecordStatus" if entity in ("visit", "interview") else "HouseholdStatus"
        kind = "LeadStatus" if entity == "lead" else kind
        kind = "WarningStatus" if entity == "warning" else kind
        return label(kind, value) if isinstance(value, str) else value
    enum = ENUM_OF.get(field) or LOG_ENUMS.get(field)
    if enum and isinstance(value, str):
        return label(enum, value)
    if field in LIST_ENUMS and isinstance(value, list):
        return labels(LIST_ENUMS[field], value)
    if field == "fields" and isinstance(value, list):
        return "、".join(field_label(f) for f in value)
    return value


# The household timeline says more than the log: values as labels and names, and a
# household's own words for what happened to it.
TIMELINE_ACTIONS = {"create": _l("Enrolled"), "assign": _l("Assigned to an advisor")}
TIMELINE_ENTITIES = {"person": _l("Member"), "interview": _l("Interview")}
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
# Bookkeeping that says nothing to a reader (a warning's source key: the ids of its
# record), and the whole record of an enrolment.
HIDDEN = frozenset({"field_versions", "household_id", "id", "source_key"})
SUMMARY_OF_NEW = ("name", "hardship_level", "categories", "format", "source")


@dataclass(frozen=True)
class Change:
    """One field of an audited change: its label and its old and new values, as text."""

    field: str
    old: str
    new: str


def event_label(event) -> str:
    """ "Changed · Household member" — what happened, to what."""
    action = TIMELINE_ACTIONS.get(event.action) or action_label(event.action)
    entity = TIMELINE_ENTITIES.get(event.entity) or entity_label(event.entity)
    return f"{action} · {entity}"


def event_changes(event, file) -> list[Change]:
    """The fields of ``event`` a reader cares about, labelled, with values as labels.

    ``file`` (a :class:`~server.services.households.household_file.HouseholdFile`) gives the
    names of the areas, users and members the values refer to. An enrolment or import
    lists a summary, not every field it set.
    """
    diff = {k: v for k, v in (event.diff or {}).items() if k not in HIDDEN}
    if event.action in ("create", "import"):
        diff = {k: v for k, v in diff.items() if k in SUMMARY_OF_NEW}
    return [
        Change(field_label(field), _value(field, old, file), _value(field, new, file))
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
        return "、".join(field_label(f) for f in value)
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
        "audit_entity": entity_label,
        "audit_changes": changes,
        "timeline_action": event_label,
        "timeline_changes": event_changes,
        "audit_member": member_of,
        "override_text": override_text,
    }
