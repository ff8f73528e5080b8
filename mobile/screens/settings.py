"""Settings: language, text size, server URL, about."""

from __future__ import annotations

from mobile.screens import BaseScreen
from mobile.settings import TEXT_SCALES
from mobile.viewmodels.settings import SettingsViewModel


class SettingsScreen(BaseScreen):
    def make_vm(self, ctx):
        return SettingsViewModel(ctx)

    def prepare(self, **kwargs) -> None:
        self.vm.refresh()

    def text_size(self, size: str) -> None:
        self.vm.set_text_size(size)
        self.app.set_text_size(TEXT_SCALES[size])


SCREEN = SettingsScreen
