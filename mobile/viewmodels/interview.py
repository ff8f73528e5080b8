"""The neighbourhood-interview form: role and name, statement, corroborates, findings, notes."""

from __future__ import annotations

from typing import Any

from mobile.i18n import tr
from mobile.viewmodels.form import RecordFormViewModel

INTERVIEW_DEFAULTS: dict[str, Any] = {
    "interviewee_role": "",
    "interviewee_name": "",
    "statement": "",
    "corroborates": "",
    "findings": [],
    "notes": "",
}


class InterviewFormViewModel(RecordFormViewModel):
    """A neighbourhood interview (邻里访问) being recorded."""

    entity = "interview"
    time_field = "interviewed_at"
    defaults = INTERVIEW_DEFAULTS

    def _title(self) -> str:
        return tr("interview.title", name=self.household.get("head_name", ""))

    def ready_for_draft(self) -> bool:
        form = self.form
        return bool(
            form.get("interviewee_role") and form.get("corroborates") and form.get("statement")
        )

    def payload(self) -> dict[str, Any]:
        form = self.form
        data: dict[str, Any] = {
            "id": form["id"],
            "household_id": form["household_id"],
            "interviewed_at": form["started_at"],
            "findings": list(form.get("findings") or []),
            "notes": form.get("notes") or "",
        }
        # A blank box is left out, so the message beside it says "required".
        for key in ("interviewee_role", "corroborates", "interviewee_name", "statement"):
            if str(form.get(key) or "").strip():
                data[key] = form[key]
        return data

    def submission(self) -> dict[str, Any]:
        # The interview schema has no start and end times (a visit's): sending ended_at
        # would be refused as an unknown field and the interview could never be submitted.
        return self.payload()
