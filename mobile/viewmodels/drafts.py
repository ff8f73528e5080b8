"""Every unfinished form, each to continue or (after asking) to discard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import ListProperty

from mobile import records
from mobile.i18n import tr

_KIND = {"visit": "household.visit", "interview": "household.interview", "lead": "lead.new"}


class DraftsViewModel(EventDispatcher):
    """``rows``: one per draft (``draft_id``, ``title``, ``when``), newest first."""

    rows = ListProperty([])

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx

    def refresh(self) -> None:
        """Re-read the drafts kept in the store."""
        self.rows = [self._row(draft) for draft in records.drafts(self.ctx.store)]

    def _row(self, draft: dict[str, Any]) -> dict[str, Any]:
        when = ""
        if draft.get("saved_at"):
            saved = datetime.fromisoformat(draft["saved_at"]).astimezone(self.ctx.tz)
            when = saved.strftime("%Y-%m-%d %H:%M")
        kind = tr(_KIND.get(draft["entity"], "household.visit"))
        return {
            "draft_id": draft["form"].get("id", ""),
            "entity": draft["entity"],
            "title": f"{kind} · {draft_name(self.ctx.store, draft)}",
            "when": when,
        }

    def find(self, draft_id: str) -> dict[str, Any] | None:
        """The draft kept under ``draft_id``."""
        return next(
            (d for d in records.drafts(self.ctx.store) if d["form"].get("id") == draft_id), None
        )

    def discard(self, draft_id: str) -> None:
        """Throw the draft away: called only from the confirmation."""
        draft = self.find(draft_id)
        if draft is not None:
            records.discard(self.ctx.store, draft)
        self.refresh()


def draft_name(store, draft: dict[str, Any]) -> str:
    """Whose form is unfinished: the household's head, or the head a lead names."""
    if draft["entity"] == "lead":
        return draft["form"].get("head_name") or tr("lead.new")
    household = store.household(draft["household_id"]) or {}
    return household.get("head_name", "")
