"""The home-visit form (入户走访)."""

from __future__ import annotations

from mobile.screens import FormScreen
from mobile.viewmodels.visit import VisitFormViewModel


class VisitScreen(FormScreen):
    def make_vm(self, ctx):
        vm = VisitFormViewModel(ctx)
        vm.bind(on_submitted=lambda vm: self.app.submitted(vm))
        return vm


SCREEN = VisitScreen
