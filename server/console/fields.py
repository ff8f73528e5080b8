"""A field record's fields as the reader's language names and shows them (review diffs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.console.blueprint import bp
from server.console.labels import label, labels, local

# Column → its label; a visit's and an interview's columns together (no name clashes).
NAMES = {
    "visited_at": _l("Visited at"),
    "outcome": _l("Outcome"),
    "persons_met": _l("Persons met"),
    "living_conditions": _l("Living conditions"),
    "income_change": _l("Income change"),
    "estimated_monthly_income": _l("Estimated monthly income (yuan)"),
    "findings": _l("Findings"),
    "needs": _l("Needs"),
    "situation": _l("Situation"),
    "suggested_level": _l("Suggested level"),
    "urgent": _l("Urgent"),
    "notes": _l("Notes"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "accuracy_m": _l("GPS accuracy (m)"),
    "started_at": _l("Started at"),
    "ended_at": _l("Ended at"),
    "interviewed_at": _l("Interviewed at"),
    "interviewee_role": _l("Interviewee"),
    "interviewee_name": _l("Interviewee's name"),
    "statement": _l("Statement"),
    "corroborates": _l("Corroborates"),
}
# Columns holding one code (or a list of codes) of an enumeration of sync.enums.
CODES = {
    "outcome": "Outcome",
    "income_change": "IncomeChange",
    "situation": "Situation",
    "suggested_level": "HardshipLevel",
    "interviewee_role": "IntervieweeRole",
    "corroborates": "Corroborates",
}
CODE_LISTS = {"findings": "Finding", "needs": "Need"}
INSTANTS = {"visited_at", "started_at", "ended_at", "interviewed_at"}


def field_name(name: str) -> str:
    """The label of a column (the column's own name when it has none)."""
    return str(NAMES.get(name, name))


def field_value(name: str, value: Any) -> str:
    """A column's value as the audit trail or the model holds it, for reading."""
    if value is None or value == "" or value == []:
        return "—"
    if name in CODES:
        return label(CODES[name], value)
    if name in CODE_LISTS:
        return labels(CODE_LISTS[name], value)
    if name in INSTANTS:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return local(when)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "persons_met":
        return _("%(n)d persons", n=len(value))
    return str(value)


@bp.app_context_processor
def _helpers():
    return {"field_name": field_name, "field_value": field_value}
