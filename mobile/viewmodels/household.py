"""The household file (一户一档): facts, members, warnings, timeline, returned records, edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, DictProperty, ListProperty, StringProperty
from marshmallow import ValidationError

from mobile import receipts, records
from mobile.i18n import label, message, tr
from sync.enums import (
    Category,
    Finding,
    HardshipLevel,
    Health,
    IntervieweeRole,
    Outcome,
    Relation,
    VisitCycle,
    WarningKind,
    WarningLevel,
)
from sync.protocol import EDITABLE_HOUSEHOLD_FIELDS

# What the file screen lets the advisor type: the protocol's editable fields that are text
# (a location comes from the GPS, not the keyboard).
EDITABLE = tuple(f for f in EDITABLE_HOUSEHOLD_FIELDS if f != "location")


class HouseholdViewModel(EventDispatcher):
    """One household as the file screen shows it; ``edit`` holds the advisor's corrections."""

    household_id = StringProperty("")
    head = StringProperty("")
    facts = ListProperty([])  # [(label, value)]
    separated = BooleanProperty(False)
    streets = StringProperty("")
    members = ListProperty([])  # [str]
    warnings = ListProperty([])  # [str]
    timeline = ListProperty([])  # [{"text", "receipt", "entity", "id", "stage"}]
    returned = ListProperty([])
    edit = DictProperty({key: "" for key in EDITABLE})
    errors = DictProperty({})
    notice = StringProperty("")
    edited = BooleanProperty(False)  # a correction was saved: the due list's row changes

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.household: dict[str, Any] = {}

    def load(self, household_id: str) -> bool:
        """Read the household from the store; False when it is not on the tablet."""
        store = self.ctx.store
        household = store.household(household_id)
        if household is None:
            return False
        self.household, self.household_id = household, household_id
        self.head = household["head_name"]
        self.facts = self._facts(household)
        self.separated = household["registration_street_id"] != household["residence_street_id"]
        self.streets = tr(
            "household.streets",
            reg=_name(household, "registration_street"),
            res=_name(household, "residence_street"),
        )
        self.members = [self._member(p) for p in household["persons"]]
        self.warnings = [
            f"{label(WarningLevel, w['level'])} · {label(WarningKind, w['kind'])} "
            f"{w.get('message', '')}"
            for w in store.open_warnings()
            if w["household_id"] == household_id
        ]
        self._history()
        self.edit = {key: household.get(key) or "" for key in EDITABLE}
        self.errors, self.notice = {}, ""
        return True

    @staticmethod
    def _facts(household: dict[str, Any]) -> list[tuple[str, str]]:
        cycle = label(VisitCycle, household.get("visit_cycle"))
        override = household.get("cycle_override")
        if override:
            cycle += " · " + tr("household.override", reason=override["reason"])
        return [
            (
                tr("household.categories"),
                "、".join(label(Category, c) for c in household["categories"]),
            ),
            (tr("household.level"), label(HardshipLevel, household["hardship_level"])),
            (tr("household.cycle"), cycle),
            (tr("household.phone"), household.get("phone") or "—"),
            (tr("household.address"), household["residence_address"]),
            (tr("household.community"), _where(household, "residence")),
            (tr("household.registered"), _where(household, "registration")),
        ]

    @staticmethod
    def _member(person: dict[str, Any]) -> str:
        # ID numbers exactly as the server sent them: masked for advisors.
        parts = [person["name"], label(Relation, person["relation"]), person.get("id_number") or ""]
        if person["health"] != "healthy":
            parts.append(label(Health, person["health"]))
        return " · ".join(p for p in parts if p)

    def _history(self) -> None:
        store, me = self.ctx.store, (self.ctx.store.get_state("user") or {}).get("id")
        known = store.get_state("receipts") or {}
        entries = []
        for visit in store.visits_for(self.household_id):
            entries.append(("visit", visit, visit["visited_at"], label(Outcome, visit["outcome"])))
        for interview in store.interviews_for(self.household_id):
            what = (
                tr("household.interview")
                + " · "
                + label(IntervieweeRole, interview["interviewee_role"])
            )
            entries.append(("interview", interview, interview["interviewed_at"], what))
        entries.sort(key=lambda e: records.instant(e[2]), reverse=True)
        timeline = []
        for entity, record, when, what in entries:
            day = datetime.fromisoformat(when).astimezone(self.ctx.tz).strftime("%Y-%m-%d")
            who = (
                tr("household.by_me")
                if record.get("advisor_id") == me
                else tr("household.by_colleague")
            )
            timeline.append(
                {
                    "text": f"{day} {what} · {who}",
                    "detail": _detail(record),
                    "receipt": receipts.describe(record, known, self.ctx.tz),
                    "entity": entity,
                    "id": record["id"],
                    "stage": receipts.stage(record),
                }
            )
        self.timeline = timeline
        self.returned = [t for t in timeline if t["stage"] == "returned"]

    def set_edit(self, key: str, value: str) -> None:
        """Keep a correction typed into the file (saved by :meth:`save_edit`)."""
        self.edit[key] = value

    def save_edit(self) -> bool:
        """Send changed fields as per-field edits (one queued update); False on bad input."""
        changes = {
            key: (self.edit[key] or None) if key == "phone" else self.edit[key]
            for key in EDITABLE
            if (self.edit[key] or "") != (self.household.get(key) or "")
        }
        if not changes:
            return True
        try:
            self.ctx.store.update_household(self.household_id, changes)
        except ValidationError as error:
            self.errors = {k: message(v[0]) for k, v in error.messages.items()}
            return False
        self.load(self.household_id)
        self.notice, self.edited = tr("household.saved"), True
        return True


def _name(household: dict[str, Any], area: str) -> str:
    """An area's name as the pull sent it, or its id (a household stored before names)."""
    return str(household.get(f"{area}_name") or household[f"{area}_id"])


def _where(household: dict[str, Any], side: str) -> str:
    """Street · community of the residence or the registration (户籍地)."""
    return f"{_name(household, f'{side}_street')} · {_name(household, f'{side}_community')}"


def _detail(record: dict[str, Any]) -> str:
    """What a history entry found and noted (an interview's statement), one line each."""
    lines = []
    if record.get("findings"):
        found = "、".join(label(Finding, code) for code in record["findings"])
        lines.append(tr("household.findings", found=found))
    text = record.get("statement") or record.get("notes") or ""
    if text.strip():
        lines.append(tr("household.noted", text=text.strip()))
    return "\n".join(lines)
