"""Set the 6-digit PIN after sign-in, or unlock with it (offline)."""

from __future__ import annotations

from mobile.screens import BaseScreen
from mobile.viewmodels.auth import PinViewModel


class PinScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = PinViewModel(ctx)
        vm.bind(on_done=lambda vm: self.app.unlocked())
        return vm

    def prepare(self, **kwargs) -> None:
        self.vm.reset()


SCREEN = PinScreen
