"""Sign-in (online, password), PIN setting and unlocking (offline)."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile.i18n import tr
from mobile.lock import MAX_FAILURES, valid_pin
from sync.wire import AuthError, ClientError, ServerError, Throttled


class SignInViewModel(EventDispatcher):
    """Server URL, username and password → a device token; fires ``on_signed_in``."""

    server_url = StringProperty("")
    username = StringProperty("")
    password = StringProperty("")
    error = StringProperty("")
    busy = BooleanProperty(False)
    waiting = StringProperty("")

    __events__ = ("on_signed_in",)

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.server_url = ctx.settings.server_url
        user = ctx.store.get_state("user") or {}
        self.username = user.get("username", "")
        self.refresh()

    def refresh(self) -> None:
        """Say how many records wait: they are kept and sent after the next sign-in."""
        count = self.ctx.store.pending_count()
        self.waiting = tr("signin.waiting", count=count) if count else ""

    def submit(self) -> bool:
        """Start signing in off the UI thread; False when the form is incomplete or busy."""
        if not (self.server_url.strip() and self.username.strip() and self.password):
            self.error = tr("error.required")
            return False
        self.error, self.busy = "", True
        url = self.server_url.strip()
        return self.ctx.runner.login(url, self.username.strip(), self.password, self._ok, self._bad)

    def _ok(self, user: dict) -> None:
        self.busy, self.password = False, ""
        if user.get("role") != "advisor":
            self.error = tr("signin.not_advisor")
            return
        self.ctx.settings.server_url = self.server_url.strip()
        self.ctx.runner.server_url = self.ctx.settings.server_url
        self.ctx.save_settings()
        # A password sign-in lifts a PIN block; the advisor sets a (new) PIN next.
        self.ctx.lock.clear()
        self.dispatch("on_signed_in", user)

    def _bad(self, error: Exception) -> None:
        self.busy, self.password = False, ""
        if isinstance(error, Throttled):
            self.error = tr("signin.throttled")
        elif isinstance(error, AuthError):
            self.error = tr("signin.failed")
        elif isinstance(error, ServerError):
            self.error = tr("signin.server_error")
        elif isinstance(error, ClientError):
            self.error = tr("signin.refused")
        else:  # the network, or anything else on the way: nothing was sent
            self.error = tr("signin.offline")

    def on_signed_in(self, user: dict) -> None:
        """Default handler (the app moves on to the PIN screen)."""


class PinViewModel(EventDispatcher):
    """Set a PIN (``mode`` "set") or unlock with it ("unlock"); fires ``on_done``."""

    mode = StringProperty("unlock")
    pin = StringProperty("")
    repeat = StringProperty("")
    error = StringProperty("")
    blocked = BooleanProperty(False)
    failures = NumericProperty(0)
    who = StringProperty("")

    __events__ = ("on_done",)

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.reset()

    def reset(self) -> None:
        """Fresh screen: the mode follows whether a PIN exists."""
        lock = self.ctx.lock
        self.mode = "unlock" if lock.has_pin else "set"
        self.pin = self.repeat = self.error = ""
        self.blocked = lock.blocked
        self.failures = lock.failures
        user = self.ctx.store.get_state("user") or {}
        self.who = tr("unlock.user", name=user.get("display_name") or user.get("username", ""))
        if self.blocked:
            self.error = tr("unlock.blocked")

    def submit(self) -> bool:
        """Set or check the PIN; True (and ``on_done``) when the app may open."""
        if self.mode == "set":
            return self._set()
        return self._unlock()

    def _set(self) -> bool:
        if not valid_pin(self.pin):
            self.error = tr("pin.format")
            return False
        if self.pin != self.repeat:
            self.error = tr("pin.mismatch")
            self.repeat = ""
            return False
        self.ctx.lock.set_pin(self.pin)
        self.pin = self.repeat = self.error = ""
        self.dispatch("on_done")
        return True

    def _unlock(self) -> bool:
        lock = self.ctx.lock
        ok = lock.check(self.pin)
        self.pin = ""
        self.failures, self.blocked = lock.failures, lock.blocked
        if ok:
            self.error = ""
            self.dispatch("on_done")
            return True
        if self.blocked:
            self.error = tr("unlock.blocked")
        else:
            self.error = tr("unlock.wrong", left=MAX_FAILURES - self.failures)
        return False

    def on_done(self) -> None:
        """Default handler (the app opens the due list)."""
