"""The sync screen: progress with phase and counts, last result, needs-attention items."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from mobile import records
from mobile.i18n import message, tr
from mobile.i18n.catalog import CATALOG
from mobile.viewmodels.interview import InterviewFormViewModel
from mobile.viewmodels.visit import VisitFormViewModel

STALE_AFTER = timedelta(hours=24)
FORMS = {"visit": VisitFormViewModel, "interview": InterviewFormViewModel}
FIELD_WORK = {"visit": "visited_at", "interview": "interviewed_at", "lead": "found_at"}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class SyncViewModel(EventDispatcher):
    """Drives :class:`mobile.syncer.SyncRunner` and says what happened, in words."""

    busy = BooleanProperty(False)
    phase = StringProperty("")
    progress = NumericProperty(0)
    progress_max = NumericProperty(1)
    last_result = StringProperty("")
    pending = StringProperty("")
    stale = BooleanProperty(False)
    attention = ListProperty([])
    signed_out = BooleanProperty(False)
    first_pull = BooleanProperty(False)  # the caseload is arriving for the first time
    pulled = NumericProperty(0)
    pull_total = NumericProperty(0)  # this pull's changes in all (0: the server did not say)

    __events__ = ("on_synced", "on_discarded", "on_failed")

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.phase = tr("sync.idle")

    def refresh(self) -> None:
        """Re-read the outbox, the last result and the needs-attention list."""
        store = self.ctx.store
        self.pending = tr("sync.pending", count=store.pending_count())
        oldest = store.oldest_pending_at()
        now = self.ctx.now().astimezone(UTC)
        self.stale = bool(oldest) and now - datetime.fromisoformat(oldest) > STALE_AFTER
        self.last_result = self._last(store.get_state("last_sync"))
        self.signed_out = bool(store.get_state("signed_out"))
        self.attention = [self._item(item) for item in store.attention_items()]

    def _last(self, last: dict[str, Any] | None) -> str:
        if not last:
            return tr("sync.never")
        when = datetime.fromisoformat(last["at"]).astimezone(self.ctx.tz).strftime("%m-%d %H:%M")
        if last["outcome"] == "ok":
            return tr("sync.last_ok", when=when, sent=last["sent"], pulled=last["pulled"])
        return tr(
            "sync.last_failed", when=when, error=tr(f"failure.{last.get('failure', 'other')}")
        )

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        """One attention item; a conflict lists each field with both values."""
        payload, server = item.get("payload") or {}, item.get("server") or {}
        fields = sorted((item.get("errors") or {}).keys())
        if item["status"] == "conflict":
            pairs = [
                {
                    "field": name,
                    "mine": tr("sync.mine", value=_shown(payload.get(name))),
                    "theirs": tr("sync.theirs", value=_shown(server.get(name))),
                }
                for name in fields
            ]
            title = tr("sync.conflict", field="、".join(field_label(f) for f in fields))
        else:
            texts = [
                message(m[0]) if isinstance(m, list) else str(m)
                for m in (item.get("errors") or {}).values()
                if m  # a field named without a message says nothing to show
            ]
            pairs = []
            title = tr("sync.rejected", message="；".join(texts) or tr("sync.refused"))
        # Only a record dismissing really throws away (the store's rule: refused as no
        # longer the advisor's, never accepted) asks to be given up; any other refusal is
        # settled on 知道了 (a correction back to the server's copy, a new record a draft).
        refused = bool(item.get("discards")) and item["entity"] in FIELD_WORK
        return {
            "id": item["id"],
            "status": item["status"],
            "title": title,
            "pairs": pairs,
            "entity": item["entity"],
            "record_id": item["record_id"],
            "household_id": item.get("household_id") or "",
            "payload": payload,
            "refused": refused,
            "what": self._what(item, payload) if refused else "",
        }

    def _what(self, item: dict[str, Any], payload: dict[str, Any]) -> str:
        """A refused record in words (kind · household · when): what discarding it loses."""
        entity = item["entity"]
        if entity == "lead":
            kind, household = tr("lead.new"), payload.get("head_name") or "—"
        else:
            kind = tr("household.visit" if entity == "visit" else "household.interview")
            found = self.ctx.store.household(item.get("household_id") or "") or {}
            household = found.get("head_name") or "—"
        stamp = payload.get(FIELD_WORK[entity])
        when = (
            datetime.fromisoformat(stamp).astimezone(self.ctx.tz).strftime("%Y-%m-%d %H:%M")
            if stamp
            else "—"
        )
        return tr("sync.discard_what", kind=kind, household=household, when=when)

    def sync_now(self) -> bool:
        """Start a sync in the background; False if one is already running."""
        started = self.ctx.runner.sync(self._progress, self._done, self._failed)
        if started:
            self.first_pull = not self.ctx.store.get_state("last_sync_at")
            self.pulled = self.pull_total = 0
            self.busy, self.phase, self.progress = True, tr("sync.phase.push", done=0, total="…"), 0
        return started

    def _progress(self, phase: str, done: int, total: int | None) -> None:
        if phase == "push":
            self.progress_max, self.progress = max(total or 1, 1), done
            self.phase = tr("sync.phase.push", done=done, total=total or done)
        else:
            # The bar fills towards the server's total when it said one.
            self.progress_max, self.progress = max(total or done, 1), done
            self.phase = tr("sync.phase.pull", done=done)
            # Total first: the due list redraws on ``pulled`` and reads both.
            self.pull_total = total or 0
            self.pulled = done

    def _done(self, report) -> None:
        self.busy, self.phase = False, tr("sync.idle")
        self.refresh()
        self.dispatch("on_synced")
        # Last: the screens have queued their recompute, so the due list goes from the
        # pull's progress to "computing", never through its empty text.
        self.first_pull = False

    def _failed(self, error: Exception) -> None:
        self.busy, self.phase, self.first_pull = False, tr("sync.idle"), False
        self.refresh()
        self.dispatch("on_failed")

    def on_failed(self) -> None:
        """Default handler (the app checks whether the tablet was signed out or revoked)."""

    def resolve(self, item_id: int, keep: str) -> None:
        """Close an attention item; for a conflict, ``keep`` "mine" re-sends the advisor's
        values against the server's new version, "theirs" accepts the server's."""
        item = next((i for i in self.attention if i["id"] == item_id), None)
        if item is None:
            return
        store = self.ctx.store
        store.dismiss_attention(item_id)
        if keep == "mine" and item["status"] == "conflict" and item["entity"] == "household":
            mine = {pair["field"]: item["payload"].get(pair["field"]) for pair in item["pairs"]}
            store.update_household(item["record_id"], mine)
        if item["status"] == "rejected" and item["entity"] in FORMS:
            self._offer_draft(item["entity"], item["record_id"])
        self.refresh()

    def _offer_draft(self, entity: str, record_id: str) -> None:
        """A refused record the server never took is a draft again once dismissed: listed
        under 草稿 (and resumed by 走访) to correct and send again."""
        stored = self.ctx.store.record(entity, record_id)
        if stored is None or stored["local_state"] != "draft" or stored.get("version") is not None:
            return
        form = FORMS[entity](self.ctx)
        form.open_existing(stored)
        if not form.read_only:
            records.remember_draft(
                self.ctx.store,
                entity,
                stored["household_id"],
                dict(form.form),
                self.ctx.now().isoformat(),
            )

    def discard(self, item_id: int) -> None:
        """The advisor confirmed: give up a refused record (the store settles it and tells
        the server). Only ever called after the confirmation popup. ``on_discarded`` names
        the household, whose due-list row no longer counts the record."""
        item = next((i for i in self.attention if i["id"] == item_id), None)
        self.ctx.store.dismiss_attention(item_id)
        self.refresh()
        if item is not None and item.get("household_id"):
            self.dispatch("on_discarded", item["household_id"])

    def on_discarded(self, household_id: str) -> None:
        """Default handler (the app updates that household's due-list row)."""

    def on_synced(self) -> None:
        """Default handler (screens re-read the store)."""


def field_label(name: str) -> str:
    """A field's name for the advisor (never its code)."""
    key = f"field.{name}"
    return tr(key) if key in CATALOG else tr("field.other")
