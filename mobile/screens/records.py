"""The advisor's records with their receipts; the returned ones open for correction."""

from __future__ import annotations

from mobile.screens import BaseScreen
from mobile.viewmodels.records import RecordsViewModel


class RecordsScreen(BaseScreen):
    def make_vm(self, ctx):
        return RecordsViewModel(ctx)

    def prepare(self, mode: str = "all", **kwargs) -> None:
        self.vm.mode = mode
        self.vm.refresh()


SCREEN = RecordsScreen
