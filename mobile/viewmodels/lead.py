"""The new-lead form (走访发现): a household found in the field that is not yet monitored."""

from __future__ import annotations

from typing import Any

from mobile.i18n import tr
from mobile.viewmodels.form import LocatedFormViewModel

LEAD_DEFAULTS: dict[str, Any] = {
    "head_name": "",
    "residence_address": "",
    "phone": "",
    "observations": "",
    "suggested_categories": [],
    "location": None,
}


class LeadFormViewModel(LocatedFormViewModel):
    """A lead being reported. It belongs to no household (``household_id`` stays empty);
    the raw form autosaves like the other forms, and submit queues it for the street's
    lead queue on the server."""

    entity = "lead"
    time_field = "found_at"
    defaults = LEAD_DEFAULTS

    def open_new(self, household_id: str = "") -> None:
        """A fresh lead, found now."""
        super().open_new("")

    def open_existing(self, record: dict[str, Any]) -> None:
        """A lead the server refused, opened to correct and send again."""
        super().open_existing({**record, "household_id": "", "started_at": record["found_at"]})

    def _open(self, household_id: str, form: dict[str, Any]) -> None:
        super()._open("", form)
        if not self.form.get("location"):
            self.use_location(self.ctx.locator.fix)

    def _title(self) -> str:
        return tr("lead.title")

    def ready_for_draft(self) -> bool:
        # A lead has no draft record: until it is submitted only the raw form is kept.
        return False

    def payload(self) -> dict[str, Any]:
        form = self.form
        data: dict[str, Any] = {
            "id": form["id"],
            "found_at": form["started_at"],
            "suggested_categories": list(form.get("suggested_categories") or []),
        }
        # A blank box is left out, so the message beside it says "required".
        for key in ("head_name", "residence_address", "observations", "phone"):
            if (form.get(key) or "").strip():
                data[key] = form[key]
        if form.get("location"):
            data["location"] = form["location"]
        return data

    def submission(self) -> dict[str, Any]:
        # A lead records when it was found; it has no visit's start and end.
        return self.payload()

    def _save(self, data: dict[str, Any], *, draft: bool) -> dict[str, Any]:
        return self.ctx.store.save_lead(data)
