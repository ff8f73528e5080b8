"""The lock screen standing in for personal data: lease run out, or tablet revoked."""

from __future__ import annotations

from mobile.screens import BaseScreen
from mobile.viewmodels.locked import LockedViewModel


class LockedScreen(BaseScreen):
    def make_vm(self, ctx):
        return LockedViewModel(ctx)

    def prepare(self, household_id: str = "", **kwargs) -> None:
        self.vm.refresh(household_id)

    def back_to_household(self) -> None:
        """Past the lease: back to the household still open, to record its visit."""
        if self.vm.household_id:
            self.app.open_household(self.vm.household_id)

    def sync_now(self) -> None:
        """Through the app: the sync screen's view-model reports the outcome to it."""
        self.app.sync_now()


SCREEN = LockedScreen
