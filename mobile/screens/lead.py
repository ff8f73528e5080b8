"""The new-lead form (走访发现)."""

from __future__ import annotations

from mobile.screens import FormScreen
from mobile.viewmodels.lead import LeadFormViewModel


class LeadScreen(FormScreen):
    def make_vm(self, ctx):
        vm = LeadFormViewModel(ctx)
        vm.bind(on_submitted=lambda vm: self.app.show("records", mode="all"))
        return vm


SCREEN = LeadScreen
