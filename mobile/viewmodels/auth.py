"""Sign-in with the password (online, or offline against its wrapping), PIN setting, unlocking."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile.i18n import tr
from mobile.lock import valid_pin
from mobile.syncer import app_version, make_transport
from mobile.vault import Refused, escrow, legacy
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
        user = ctx.store.get_state("user") if ctx.store is not None else None
        self.username = (user or {}).get("username", "") or ctx.vault.username
        self.refresh()

    def refresh(self) -> None:
        """Say how many records wait: they are kept and sent after the next sign-in (unknown
        while the store is locked: the count is personal data too)."""
        count = self.ctx.store.pending_count() if self.ctx.store is not None else 0
        self.waiting = tr("signin.waiting", count=count) if count else ""
        wiped = getattr(self.ctx, "wiped_at", None)
        if wiped is not None:
            self.waiting = tr("signin.wiped", when=wiped.strftime("%Y-%m-%d %H:%M"))

    def submit(self) -> bool:
        """Start signing in off the UI thread; False when the form is incomplete or busy."""
        if not (self.server_url.strip() and self.username.strip() and self.password):
            self.error = tr("error.required")
            return False
        self.error, self.busy = "", True
        url, username, password = self.server_url.strip(), self.username.strip(), self.password
        ctx = self.ctx

        # Both run on the runner's thread (Argon2id takes a few tenths of a second).
        def unlock() -> bool:
            # A locked store opens only with this advisor's password; True means it has
            # proved itself, so the sign-in may go on offline.
            if ctx.store is not None:
                return False
            try:
                ctx.unlocked_with(ctx.vault.unlock_password(username, password))
            except Refused as refusal:
                if refusal.reason != "other_user" or not ctx.vault.escrow_device:
                    raise
                # Another advisor on a locked tablet: the server, taking this password,
                # releases the key the tablet deposited (mobile.vault.escrow).
                ctx.unlocked_with(ctx.vault.unlock_escrow(_released(url, username, password)))
                return False
            return True

        def accepted(user: dict, transport) -> None:
            # The server took the password: the data key is wrapped under it from now on
            # (the first sign-in, a new advisor of a running tablet, a changed password),
            # and the server holds the escrow key another advisor would need.
            if user.get("role") == "advisor":
                ctx.vault.set_password(username, password)
                escrow.ensure_deposited(ctx.vault, transport, ctx.store.device_id())

        def _released(url: str, username: str, password: str) -> bytes:
            transport = make_transport(url)
            try:
                return escrow.release(
                    transport, username, password, ctx.vault.escrow_device, app_version()
                )
            except (AuthError, ClientError) as error:
                if error.status not in (403, 404):
                    raise  # a wrong password (401), the throttle (429): said as usual
                # 403: an admin revoked this tablet; 404: no key was deposited (a tablet
                # signed in before escrow existed): the store stays its advisor's.
                raise Refused("revoked_tablet" if error.status == 403 else "other_user") from None
            finally:
                transport.close()

        return ctx.runner.login(url, username, password, self._ok, self._bad, unlock, accepted)

    def _ok(self, user: dict) -> None:
        self.busy, self.password = False, ""
        if user.get("role") != "advisor":
            self.error = tr("signin.not_advisor")
            return
        self.ctx.settings.server_url = self.server_url.strip()
        self.ctx.runner.server_url = self.ctx.settings.server_url
        self.ctx.save_settings()
        # A password sign-in lifts a PIN block; the advisor sets a (new) PIN next.
        self.ctx.vault.clear_pin()
        self.ctx.pin_wanted = True
        self.dispatch("on_signed_in", user)

    def _bad(self, error: Exception) -> None:
        self.busy, self.password = False, ""
        if isinstance(error, Refused):
            self.error = _refusal(error, self.ctx.vault.username)
        elif isinstance(error, Throttled):
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
        """Fresh screen: a PIN is set right after a password sign-in, else asked for."""
        vault = self.ctx.vault
        self.mode = "set" if self.ctx.pin_wanted else "unlock"
        self.pin = self.repeat = self.error = ""
        # No PIN wrapping left (too many wrong PINs): only the password opens the store.
        self.blocked = self.mode == "unlock" and not self._can_unlock()
        self.failures = vault.failures
        user = (self.ctx.store.get_state("user") if self.ctx.store is not None else None) or {}
        name = user.get("display_name") or user.get("username") or vault.username
        self.who = tr("unlock.user", name=name)
        if self.blocked:
            self.error = tr("unlock.blocked")
        elif vault.wait_seconds():
            self.error = tr("unlock.wait", seconds=vault.wait_seconds())

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
        self.ctx.vault.set_pin(self.pin)
        self.ctx.pin_wanted = False
        self.pin = self.repeat = self.error = ""
        self.dispatch("on_done")
        return True

    def _can_unlock(self) -> bool:
        return self.ctx.vault.has_pin or legacy.available(self.ctx.store)

    def _unlock(self) -> bool:
        vault, pin, self.pin = self.ctx.vault, self.pin, ""
        if not vault.has_pin and legacy.available(self.ctx.store):
            return self._unlock_legacy(pin)
        try:
            key = vault.unlock_pin(pin)
        except Refused as refusal:
            self.failures = vault.failures
            self.blocked = refusal.reason == "blocked"
            self.error = _refusal(refusal, vault.username)
            return False
        self.ctx.unlocked_with(key)
        self.failures, self.error = 0, ""
        self.dispatch("on_done")
        return True

    def _unlock_legacy(self, pin: str) -> bool:
        # A store just encrypted on its first start still holds the earlier app's PIN
        # (inside it now): the advisor unlocks as before, offline, and the data key is
        # wrapped under that same PIN.
        if not legacy.check(self.ctx.store, pin):
            self.blocked = not self._can_unlock()
            left = legacy.tries_left(self.ctx.store)
            self.error = tr("unlock.blocked") if self.blocked else tr("unlock.wrong", left=left)
            return False
        self.ctx.vault.set_pin(pin)
        self.failures, self.error = 0, ""
        self.dispatch("on_done")
        return True

    def on_done(self) -> None:
        """Default handler (the app opens the due list)."""


def _refusal(refusal: Refused, owner: str) -> str:
    """What the advisor is told about a PIN or password the keyring refused."""
    if refusal.reason == "blocked":
        return tr("unlock.blocked")
    if refusal.reason == "other_user":
        return tr("signin.other_user", name=owner)
    if refusal.reason == "revoked_tablet":
        return tr("signin.tablet_revoked")
    if refusal.reason == "wait":
        return tr("unlock.wait", seconds=refusal.wait)
    if refusal.left:  # a wrong PIN
        if refusal.wait:
            return tr("unlock.wrong_wait", left=refusal.left, seconds=refusal.wait)
        return tr("unlock.wrong", left=refusal.left)
    return tr("signin.local_wrong", seconds=refusal.wait)
