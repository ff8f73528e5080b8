"""The Kivy App: builds the screen manager, wires view-models to screens, owns no logic."""

from __future__ import annotations

import importlib
import logging
import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from mobile import access, lock, records, widgets, wipe
from mobile.context import AppContext
from mobile.i18n import language, tr
from mobile.vault import legacy

log = logging.getLogger(__name__)
SCREENS = (
    "signin",
    "pin",
    "duelist",
    "household",
    "visit",
    "interview",
    "lead",
    "sync",
    "records",
    "drafts",
    "settings",
    "locked",
)
FORMS = ("visit", "interview", "lead")
AUTO_SYNC_EVERY = 20  # seconds between checks; the runner's backoff decides if it runs


def post(callback) -> None:
    """Run ``callback`` on the UI thread (the sync runner's results come back this way)."""
    Clock.schedule_once(lambda dt: callback(), 0)


class TanfangApp(App):
    """The tablet app. ``data_dir`` holds the store; ``server_url`` preset for sign-in."""

    text_scale = NumericProperty(1.0)

    def __init__(self, data_dir: Path, server_url: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_dir = Path(data_dir)
        self.server_url = server_url
        self.ctx: AppContext | None = None
        self.font_path: str | None = ""  # main.run sets it; None means no CJK font found
        self.title = "探访 Tanfang"
        self._last_touch = time.monotonic()
        self._shown_with: dict[str, dict[str, Any]] = {}
        self._origin: tuple[str, dict[str, Any]] = ("duelist", {})
        self._kv_loaded: set[str] = set()
        # Households opened while the lease held: past it, a visit there may still be
        # recorded (the advisor is standing in that home).
        self._opened: set[str] = set()
        self.last_opened = ""  # the last of them: the lock screen offers the way back

    # ------------------------------------------------------------------ start

    def build(self) -> ScreenManager:
        self.ctx = AppContext.open(self.data_dir, post, self.server_url)
        self.ctx.font_ok = self.font_path is not None
        language.lang = self.ctx.settings.lang
        self.text_scale = self.ctx.settings.text_scale
        Window.clearcolor = (0.96, 0.96, 0.96, 1)
        Window.bind(on_touch_down=self._touched, on_key_down=self._touched)
        widgets.load()
        self.manager = ScreenManager(transition=NoTransition())
        self.ctx.locator.start()
        self.ctx.runner.on_revoked = self.check_access
        Clock.schedule_interval(self._tick, AUTO_SYNC_EVERY)
        Clock.schedule_interval(self._check_idle, 10)
        self.show(self._first_screen())
        # A wipe told but not done (the app stopped first) is done at start.
        Clock.schedule_once(lambda dt: self.check_access(), 0)
        return self.manager

    def _first_screen(self) -> str:
        # The PIN only when one can open the store (a wrapping, or the PIN of a store just
        # encrypted on this first start); a new tablet or a locked-out one signs in.
        vault, store = self.ctx.vault, self.ctx.store
        if not (vault.has_pin or legacy.available(store)):
            return "signin"
        if store is not None and (not store.get_state("token") or store.get_state("signed_out")):
            return "signin"
        return "pin"

    def screen(self, name: str):
        """The screen ``name``, built (and its kv loaded) the first time it is needed."""
        if not self.manager.has_screen(name):
            module = importlib.import_module(f"mobile.screens.{name}")
            if name not in self._kv_loaded:  # a screen dropped by a wipe is built again
                Builder.load_file(str(Path(module.__file__).with_suffix(".kv")))
                self._kv_loaded.add(name)
            self.manager.add_widget(module.SCREEN(self.ctx, name=name))
        return self.manager.get_screen(name)

    def show(self, name: str, **kwargs: Any):
        """Prepare screen ``name`` with ``kwargs`` and make it current. A form remembers
        the screen it was opened from (and how), so 返回 goes back there. A screen with
        personal data the lease or a revocation locks shows the lock instead."""
        household = access.household_of(kwargs)
        if access.blocked(self.ctx.store, self.ctx.now(), name, household, self._opened):
            return self._lock_screens()
        if household and name in access.FOR_AN_OPENED_HOUSEHOLD:
            self._opened.add(household)
            self.last_opened = household
        if name in FORMS and self.manager.current not in FORMS:
            self._origin = (self.manager.current, self._shown_with.get(self.manager.current, {}))
        screen = self.screen(name)
        screen.prepare(**kwargs)
        self._shown_with[name] = kwargs
        self.manager.current = name
        return screen

    def back(self) -> None:
        """Leave a form for the screen it was opened from (the due list by default)."""
        name, kwargs = self._origin
        if name in ("signin", "pin", "") or not self.manager.has_screen(name):
            self.home()
        else:
            self.show(name, **kwargs)

    # -------------------------------------------------------------- navigation

    def signed_in(self) -> None:
        self.ctx.wiped_at = None
        self.show("pin")

    def unlocked(self) -> None:
        shown = self.show("duelist")  # or the lock, if a revocation or the lease says so
        kept = len(records.drafts(self.ctx.store))
        if kept:
            log.info("%d unfinished drafts are offered again", kept)
        # The sync starts once the list is computed: its thread (and building the sync
        # screen) would otherwise share the CPU with the list the advisor is waiting for.
        due = shown.vm
        if self.manager.current != "duelist" or not due.computing:
            self.sync_now()
            return

        def computed(vm, computing: bool) -> None:
            if not computing:
                vm.unbind(computing=computed)
                self.sync_now()

        due.bind(computing=computed)

    def open_household(self, household_id: str) -> None:
        self.show("household", household_id=household_id)

    def open_visit(self, household_id: str) -> None:
        self.open_form("visit", household_id)

    def open_interview(self, household_id: str) -> None:
        self.open_form("interview", household_id)

    def open_form(self, entity: str, household_id: str) -> None:
        """A new form for the household, or the one left unfinished there: one draft per
        household and kind."""
        draft = records.draft_for(self.ctx.store, entity, household_id)
        if draft is not None:
            self.show(entity, draft=draft)
        else:
            self.show(entity, household_id=household_id)

    def open_lead(self) -> None:
        self.show("lead")

    def open_record(self, entity: str, record_id: str) -> None:
        """Open a stored record's form (a returned one is corrected and resubmitted; a lead
        only while the server has not taken it: received, it is a report, not a form)."""
        record = self.ctx.store.record(entity, record_id)
        if record is None or (entity == "lead" and record["local_state"] == "synced"):
            return
        self.show(entity, record=record)

    def submitted(self, form) -> None:
        """A visit or interview was submitted: back on the due list, which updates that
        household's row and says so."""
        household = form.household
        corrected = bool(form.review_comment)  # a returned record, corrected
        screen = self.show("duelist", changed=household.get("id", ""), returned=corrected)
        if screen.name == "duelist":  # past the lease the lock shows instead
            screen.confirm(tr("due.submitted", name=household.get("head_name", "")))

    def home(self) -> None:
        self.show("duelist")

    # --------------------------------------------------------------- sync

    def sync_now(self) -> None:
        """Start a sync now (the sync screen's button, sign-in, unlock)."""
        self.screen("sync").vm.sync_now()

    def synced(self) -> None:
        """A sync finished: screens re-read the store."""
        if self.manager.has_screen("duelist"):
            duelist = self.manager.get_screen("duelist")
            duelist.vm.refresh_in_background()
            duelist.vm.refresh_returned()
        self.check_access(may_wipe=True)

    def sync_failed(self) -> None:
        """A sync failed: signed out or revoked locks at once, without a restart."""
        self.check_access(may_wipe=True)

    # ---------------------------------------------------------- lease, revocation

    def check_access(self, may_wipe: bool | None = None) -> None:
        """Lock, wipe or sign out as the tablet's standing says (mobile.access); lift the
        lock once a sync renewed the lease. ``may_wipe``: no sync is using the store."""
        store, current = self.ctx.store, self.manager.current
        if store is None:  # locked: the PIN or the password opens it, then this runs again
            return
        standing = access.standing(store, self.ctx.now())
        if standing == "wipe" and (may_wipe or (may_wipe is None and not self.ctx.runner.busy)):
            self.wipe_now()
        elif store.get_state("signed_out") and standing in ("open", "lease"):
            if current != "signin":
                self.show("signin")
        elif current == "locked":
            if standing == "open":
                self.home()
            else:
                self.screen("locked").prepare(household_id=self.last_opened)
        else:
            household = access.household_of(self._shown_with.get(current, {}))
            if access.blocked(store, self.ctx.now(), current, household, self._opened):
                self._lock_screens()

    def _lock_screens(self):
        """Show the lock instead of personal data (an open form keeps its draft)."""
        self._autosave()
        if access.standing(self.ctx.store, self.ctx.now()) != "lease":
            self._opened.clear()  # revoked: nothing stays open
            self.last_opened = ""
        screen = self.screen("locked")
        screen.prepare(household_id=self.last_opened)
        self.manager.current = "locked"
        return screen

    def wipe_now(self) -> None:
        """Wipe the revoked tablet: nothing shown, keys then files destroyed, a fresh
        store, every screen built anew (their view-models held personal data), then the
        sign-in saying so; the server is told in the background."""
        self.manager.current = self.screen("locked").name
        receipt = wipe.wipe(self.data_dir, self.ctx.store, self.ctx.settings.server_url)
        self.ctx.reset_store()
        self.ctx.wiped_at = self.ctx.now()
        self._opened.clear()
        self.last_opened = ""
        self._shown_with.clear()
        for name in list(self.manager.screen_names):
            if name != "locked":
                self.manager.remove_widget(self.manager.get_screen(name))
        self.show("signin")
        self.manager.remove_widget(self.manager.get_screen("locked"))
        wipe.report_in_background(receipt)

    def _tick(self, dt: float) -> None:
        # The lock screen syncs too: past the lease a success lifts it; a retired tablet
        # sends what it holds, then wipes.
        if self.ctx.runner.auto_due() and self.manager.current not in ("signin", "pin"):
            self.sync_now()

    # --------------------------------------------------------------- locking

    def _touched(self, *args) -> None:
        self._last_touch = time.monotonic()

    def _check_idle(self, dt: float) -> None:
        self.check_access()  # the lease may have run out meanwhile
        if time.monotonic() - self._last_touch >= lock.IDLE_SECONDS:
            self.lock()

    def _autosave(self) -> None:
        if not self.manager.has_screen(self.manager.current or "-"):
            return
        screen = self.manager.get_screen(self.manager.current)
        if hasattr(screen, "vm") and hasattr(screen.vm, "autosave"):
            screen.vm.autosave()

    @mainthread
    def lock(self) -> None:
        """Ask for the PIN again (idle, or sent to the background); nothing is lost: an open
        form keeps its autosaved draft and is offered again after unlocking."""
        current = self.manager.current
        if current in ("signin", "pin") or not self.ctx.vault.has_pin:
            return
        self._autosave()
        self.show("pin")

    def on_pause(self) -> bool:
        self.lock()
        return True

    def on_stop(self) -> None:
        if self.ctx is not None:
            self.ctx.runner.join(5)
            self.ctx.locator.stop()
            self.ctx.close()

    def set_text_size(self, scale: float) -> None:
        self.text_scale = scale

    def missing_font_notice(self) -> str:
        """Shown on the first screen when no CJK font was found."""
        return "" if self.ctx.font_ok else tr("font.missing")
