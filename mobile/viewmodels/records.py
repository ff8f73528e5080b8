"""The advisor's records with their receipts, and the returned ones to correct."""

from __future__ import annotations

from datetime import datetime

from kivy.event import EventDispatcher
from kivy.properties import ListProperty, StringProperty

from mobile import receipts, records
from mobile.i18n import label, tr
from sync.enums import IntervieweeRole, Outcome

SHOWN = 500  # the newest records listed (older ones stay in each household's file)


class RecordsViewModel(EventDispatcher):
    """``mode`` "all" lists every own record; "returned" only those to correct."""

    mode = StringProperty("all")
    rows = ListProperty([])

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx

    def refresh(self) -> None:
        """Re-read the store."""
        store = self.ctx.store
        returned = self.mode == "returned"
        chosen = records.returned(store) if returned else records.mine(store, limit=SHOWN)
        known = store.get_state("receipts") or {}
        rows = []
        for record in chosen[:SHOWN]:
            when = datetime.fromisoformat(record["when"]).astimezone(self.ctx.tz)
            if record["entity"] == "lead":
                what = tr("lead.new")
            elif record["entity"] == "visit":
                what = tr("household.visit") + " · " + label(Outcome, record["outcome"])
            else:
                what = (
                    tr("household.interview")
                    + " · "
                    + label(IntervieweeRole, record["interviewee_role"])
                )
            rows.append(
                {
                    "viewclass": "RecordRow",
                    "record_id": record["id"],
                    "entity": record["entity"],
                    "title": f"{record['household']['head_name']} · {what}",
                    "when": when.strftime("%Y-%m-%d %H:%M"),
                    "receipt": receipts.describe(record, known, self.ctx.tz),
                    "stage": receipts.stage(record),
                }
            )
        self.rows = rows
