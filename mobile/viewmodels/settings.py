"""Settings: language, text size, server URL, and the about lines."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, StringProperty

from mobile import access
from mobile.i18n import language, tr
from mobile.syncer import app_version
from sync.wire import AuthError, ClientError

MIN_PASSWORD = 8  # the server's rule (server.services.auth.console_auth.MIN_PASSWORD)


class SettingsViewModel(EventDispatcher):
    """Changes apply at once and are saved to the settings file."""

    lang = StringProperty("zh")
    text_size = StringProperty("normal")
    server_url = StringProperty("")
    about = StringProperty("")
    lease = StringProperty("")  # what is left of the offline lease (issue 19)
    current_password = StringProperty("")
    new_password = StringProperty("")
    password_message = StringProperty("")
    password_busy = BooleanProperty(False)

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.refresh()

    def refresh(self) -> None:
        """Read the current settings."""
        s = self.ctx.settings
        self.lang, self.text_size, self.server_url = s.lang, s.text_size, s.server_url
        self.about = "\n".join(
            (
                tr("settings.version", version=app_version()),
                tr("settings.device", device=self.ctx.store.device_id()),
                tr("settings.data_dir", path=str(self.ctx.data_dir)),
            )
        )
        self.lease = self._lease()

    def _lease(self) -> str:
        store, now = self.ctx.store, self.ctx.now()
        until = access.lease_until(store)
        if until is None:
            return tr("settings.lease_none")
        shown = until.astimezone(self.ctx.tz).strftime("%m-%d %H:%M")
        if access.lease_expired(store, now):
            return tr("settings.lease_over", until=shown)
        return tr("settings.lease", left=access.left_words(until - now), until=shown)

    def set_language(self, lang: str) -> None:
        """Switch every screen's language."""
        self.ctx.settings.lang = lang
        self.ctx.save_settings()
        language.lang = lang
        self.refresh()

    def set_text_size(self, size: str) -> None:
        """small / normal / large."""
        self.ctx.settings.text_size = size
        self.ctx.save_settings()
        self.text_size = size

    def set_server_url(self, url: str) -> None:
        """Where sync goes from now on."""
        self.ctx.settings.server_url = url.strip()
        self.ctx.runner.server_url = url.strip()
        self.ctx.save_settings()
        self.server_url = url.strip()

    def change_password(self) -> bool:
        """Send the current and the new password (an advisor told to 请立即修改); the
        answer shows in ``password_message``. False when the form is incomplete or busy."""
        if self.password_busy or not (self.current_password and self.new_password):
            self.password_message = tr("error.required")
            return False
        if len(self.new_password) < MIN_PASSWORD:
            self.password_message = tr("password.too_short", n=MIN_PASSWORD)
            return False
        self.password_busy, self.password_message = True, ""
        ctx, new = self.ctx, self.new_password
        user = ctx.store.get_state("user") or {}

        def accepted() -> None:
            # The store's key follows the password: an offline sign-in takes the new one.
            ctx.vault.set_password(user.get("username") or ctx.vault.username, new)

        return ctx.runner.change_password(
            self.current_password, new, self._password_ok, self._password_bad, accepted
        )

    def _password_ok(self, _result) -> None:
        self.password_busy = False
        self.current_password = self.new_password = ""
        self.password_message = tr("password.changed")

    def _password_bad(self, error: Exception) -> None:
        self.password_busy = False
        self.current_password = ""
        if isinstance(error, AuthError):
            self.password_message = tr("password.signed_out")
        elif isinstance(error, ClientError) and error.status == 422:
            self.password_message = tr("password.wrong")
        else:
            self.password_message = tr("signin.offline", error=type(error).__name__)
