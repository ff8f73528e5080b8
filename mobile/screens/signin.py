"""Sign-in with the password (first use and after a block or a revoked token)."""

from __future__ import annotations

from mobile.screens import BaseScreen
from mobile.viewmodels.auth import SignInViewModel


class SignInScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = SignInViewModel(ctx)
        vm.bind(on_signed_in=lambda vm, user: self.app.signed_in())
        return vm

    def prepare(self, **kwargs) -> None:
        self.vm.refresh()


SCREEN = SignInScreen
