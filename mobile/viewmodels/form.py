"""The shared behaviour of the record forms: autosaved drafts, shared-schema validation."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from marshmallow import ValidationError

from mobile import receipts, records
from mobile.i18n import message, tr
from sync.store import RecordLocked

AUTOSAVE_DELAY = 0.3  # seconds: coalesces keystrokes into one draft write


class RecordFormViewModel(EventDispatcher):
    """A visit or interview being filled in. Subclasses set ``entity`` and the field
    defaults, and say which form fields are required before a draft can be stored."""

    entity = "visit"
    time_field = "visited_at"
    defaults: dict[str, Any] = {}

    form = DictProperty({})
    errors = DictProperty({})
    notice = StringProperty("")
    notice_bad = BooleanProperty(False)  # the notice is an error (red), not a confirmation
    title = StringProperty("")
    review_comment = StringProperty("")
    is_submitted = BooleanProperty(False)
    read_only = BooleanProperty(False)  # a view of a stored record: no autosave, no submit
    view_only = StringProperty("")  # why it is read-only, shown above the form

    __events__ = ("on_submitted",)

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.household: dict[str, Any] = {}
        self._trigger = None
        self._saved: dict[str, Any] = {}  # the form as loaded or last written
        self.form = dict(self.defaults)  # kv rules read every key before a form opens

    # ----------------------------------------------------------------- opening

    def open_new(self, household_id: str) -> None:
        """A fresh record for the household, started now."""
        now = self.ctx.now().isoformat()
        self._open(household_id, {**self.defaults, "id": str(uuid.uuid4()), "started_at": now})
        self._mark_saved()

    def open_existing(self, record: dict[str, Any]) -> None:
        """Open a stored record: editable when it is returned or the advisor's own draft
        (:func:`mobile.records.editable`), else read-only, its values shown."""
        # None from the server (no income, no level) is an empty field on the form.
        known = {k: v for k, v in record.items() if k in self.defaults and v is not None}
        form = {**self.defaults, **known}
        form.update(
            id=record["id"], started_at=record.get("started_at") or self.ctx.now().isoformat()
        )
        self._open(record["household_id"], form)
        self.review_comment = (
            tr("visit.review_comment", comment=record["review_comment"])
            if record.get("review_comment")
            else ""
        )
        if not records.editable(self.ctx.store, self.entity, record):
            known = self.ctx.store.get_state("receipts") or {}
            state = receipts.describe(record, known, self.ctx.tz)
            self.read_only, self.view_only = True, tr("form.view_only", state=state)
        self._mark_saved()

    def restore(self, draft: dict[str, Any]) -> None:
        """Continue the form left unfinished (after a kill, a lock or a restart). A draft
        whose record has since been queued or taken by the server is no draft any more:
        the record opens read-only and the stale draft is dropped."""
        stored = self._stored(draft["form"].get("id", ""))
        if stored is not None and not records.editable(self.ctx.store, self.entity, stored):
            records.forget_draft(self.ctx.store, stored["id"])
            self.open_existing(stored)
            return
        self._open(draft["household_id"], {**self.defaults, **draft["form"]})
        self._mark_saved()

    def _stored(self, record_id: str) -> dict[str, Any] | None:
        return self.ctx.store.record(self.entity, record_id) if record_id else None

    def _open(self, household_id: str, form: dict[str, Any]) -> None:
        self.household = self.ctx.store.household(household_id) or {}
        self.form = form
        self.form["household_id"] = household_id
        self.errors, self.notice, self.review_comment, self.is_submitted = {}, "", "", False
        self.notice_bad = False
        self.read_only, self.view_only = False, ""
        self.title = self._title()

    def _mark_saved(self) -> None:
        # Autosave compares against this: opening and leaving a form writes nothing.
        self._saved = copy.deepcopy(dict(self.form))

    def changed(self) -> bool:
        """Something differs from what was loaded (or last autosaved)."""
        return dict(self.form) != self._saved

    def _title(self) -> str:
        return self.household.get("head_name", "")

    # ----------------------------------------------------------------- editing

    def set(self, key: str, value: Any) -> None:
        """One field changed: keep it and schedule the autosave."""
        if self.read_only or self.form.get(key) == value:
            return
        self.form[key] = value
        self.errors.pop(key, None)
        self.notice, self.notice_bad = "", False
        if self._trigger is None:
            self._trigger = Clock.create_trigger(lambda dt: self.autosave(), AUTOSAVE_DELAY)
        self._trigger()

    def toggle(self, key: str, code: str) -> None:
        """Add or remove a code in a multiple-choice field."""
        chosen = list(self.form.get(key) or [])
        chosen.remove(code) if code in chosen else chosen.append(code)
        self.set(key, chosen)

    def choose(self, key: str, code: str) -> None:
        """A single choice that may be cleared: tapping the chosen code again unsets it."""
        self.set(key, "" if self.form.get(key) == code else code)

    def payload(self) -> dict[str, Any]:
        """The record as the shared schema expects it (empty optional fields left out)."""
        raise NotImplementedError

    def submission(self) -> dict[str, Any]:
        """What submit saves: the payload, ended now."""
        return {**self.payload(), "ended_at": self.ctx.now().isoformat()}

    def ready_for_draft(self) -> bool:
        """Enough is filled in for the store to accept a draft."""
        return True

    # ---------------------------------------------------------------- saving

    def autosave(self) -> bool:
        """Keep the raw form and a draft record (its valid fields) when something changed;
        True if a draft record was stored."""
        if self.is_submitted or self.read_only or not self.changed() or self._queued():
            return False
        records.remember_draft(
            self.ctx.store,
            self.entity,
            self.form["household_id"],
            dict(self.form),
            self.ctx.now().isoformat(),
        )
        self._mark_saved()
        if not self.ready_for_draft():
            return False
        data = self.payload()
        try:
            self._save(data, draft=True)
        except ValidationError as error:
            self._show(error)
            # Keep what is valid: a bad amount must not cost the advisor the rest.
            valid = {k: v for k, v in data.items() if k not in error.messages}
            try:
                self._save(valid, draft=True)
            except (ValidationError, RecordLocked):
                return False
        except RecordLocked:
            return False
        if not self.errors:
            self.notice, self.notice_bad = tr("visit.autosaved"), False
        return True

    def _queued(self) -> bool:
        # A record waiting to be sent is never turned back into a draft implicitly: a draft
        # write would withdraw it from the outbox.
        stored = self._stored(self.form.get("id", ""))
        return stored is not None and stored["local_state"] == "pending"

    def submit(self) -> bool:
        """Validate with the shared schema and queue the record for sync in one commit."""
        if self.read_only:
            return False
        try:
            self._save(self.submission(), draft=False)
        except ValidationError as error:
            self._show(error)
            self.notice, self.notice_bad = tr("visit.fix_errors"), True
            return False
        except RecordLocked:
            # The server holds it as submitted or approved (a stale form): say so, no crash.
            self.notice, self.notice_bad = tr("form.locked"), True
            return False
        self.is_submitted = True
        records.forget_draft(self.ctx.store, self.form["id"])
        self.errors, self.notice, self.notice_bad = {}, tr("visit.submitted"), False
        self.dispatch("on_submitted")
        return True

    def _save(self, data: dict[str, Any], *, draft: bool) -> dict[str, Any]:
        store = self.ctx.store
        save = store.save_visit if self.entity == "visit" else store.save_interview
        return save(data, draft=draft)

    def _show(self, error: ValidationError) -> None:
        shown = {}
        for key, messages in error.messages.items():
            text = messages[0] if isinstance(messages, list) else str(messages)
            shown[key] = message(text)
        self.errors = shown

    def on_submitted(self) -> None:
        """Default handler (the app goes back to the due list)."""


class LocatedFormViewModel(RecordFormViewModel):
    """A form that records where it was filled in (a visit, a lead)."""

    gps_text = StringProperty("")

    def use_location(self, fix: dict[str, Any] | None) -> None:
        """Attach a GPS fix (with its accuracy) where the device has one; nothing is
        invented without it."""
        if fix is None:
            self.gps_text = tr("visit.no_gps")
            return
        self.form["location"] = dict(fix)
        acc = fix.get("accuracy_m")
        self.gps_text = tr(
            "visit.gps", lat=fix["lat"], lon=fix["lon"], acc="?" if acc is None else round(acc)
        )
