"""The home-visit form: outcome first, "same as last visit", GPS, start and end times."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty

from mobile.i18n import tr
from mobile.viewmodels.form import LocatedFormViewModel

VISIT_DEFAULTS: dict[str, Any] = {
    "outcome": "",
    "persons_met": [],
    "living_conditions": "",
    "income_change": "unknown",
    "estimated_monthly_income": "",
    "findings": [],
    "needs": [],
    "situation": "none",
    "suggested_level": "",
    "urgent": False,
    "notes": "",
    "location": None,
}


class VisitFormViewModel(LocatedFormViewModel):
    """A home visit (入户走访) being recorded."""

    entity = "visit"
    defaults = VISIT_DEFAULTS
    persons = ListProperty([])  # [(person id, name)]
    has_last = BooleanProperty(False)

    def _open(self, household_id: str, form: dict[str, Any]) -> None:
        super()._open(household_id, form)
        self.persons = [(p["id"], p["name"]) for p in self.household.get("persons", [])]
        self.has_last = self._last_visit() is not None
        # A stored visit keeps where it was made; a new one takes the device's fix.
        self.use_location(self.form.get("location") or self.ctx.locator.fix)

    def _title(self) -> str:
        return tr("visit.title", name=self.household.get("head_name", ""))

    def ready_for_draft(self) -> bool:
        # Outcome comes first on the form; until it is chosen there is nothing to keep
        # beyond the raw form (which autosave stores anyway).
        return bool(self.form.get("outcome"))

    def _last_visit(self) -> dict[str, Any] | None:
        current = self.form.get("id")
        visits = self.ctx.store.visits_for(self.household.get("id", "")) if self.household else []
        return next((v for v in visits if v["id"] != current and v["outcome"] == "completed"), None)

    def same_as_last(self) -> bool:
        """Copy what a routine visit repeats (persons met, living conditions) and mark the
        income unchanged; False when the household has no earlier completed visit."""
        last = self._last_visit()
        if last is None:
            self.notice = tr("visit.no_last")
            return False
        known = {pid for pid, _ in self.persons}
        met = [p for p in last.get("persons_met") or [] if p in known]
        # A last visit that named nobody (older records, imports) still met someone: the
        # head of household is who a routine visit meets; the advisor can change it.
        self.set("persons_met", met or self._head())
        self.set("living_conditions", last.get("living_conditions") or "")
        self.set("income_change", "same")
        if not self.form.get("outcome"):
            self.set("outcome", "completed")
        return True

    def _head(self) -> list[str]:
        members = self.household.get("persons", [])
        head = next((p for p in members if p.get("relation") == "head"), None)
        return [head["id"]] if head else [p["id"] for p in members[:1]]

    def payload(self) -> dict[str, Any]:
        form = self.form
        data: dict[str, Any] = {
            "id": form["id"],
            "household_id": form["household_id"],
            "visited_at": form["started_at"],
            "started_at": form["started_at"],
            "outcome": form.get("outcome") or None,
            "persons_met": list(form.get("persons_met") or []),
            "living_conditions": form.get("living_conditions") or "",
            "income_change": form.get("income_change") or "unknown",
            "findings": list(form.get("findings") or []),
            "needs": list(form.get("needs") or []),
            "situation": form.get("situation") or "none",
            "urgent": bool(form.get("urgent")),
            "notes": form.get("notes") or "",
        }
        income = str(form.get("estimated_monthly_income") or "").strip()
        if income:
            data["estimated_monthly_income"] = income
        if form.get("suggested_level"):
            data["suggested_level"] = form["suggested_level"]
        if form.get("location"):
            data["location"] = form["location"]
        if data["outcome"] is None:
            del data["outcome"]
        return data
