"""Settings: language, text size, server URL, and the about lines."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import StringProperty

from mobile.i18n import language, tr
from mobile.syncer import app_version


class SettingsViewModel(EventDispatcher):
    """Changes apply at once and are saved to the settings file."""

    lang = StringProperty("zh")
    text_size = StringProperty("normal")
    server_url = StringProperty("")
    about = StringProperty("")

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
