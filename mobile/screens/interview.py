"""The neighbourhood-interview form (邻里访问)."""

from __future__ import annotations

from mobile.screens import FormScreen
from mobile.viewmodels.interview import InterviewFormViewModel


class InterviewScreen(FormScreen):
    def make_vm(self, ctx):
        vm = InterviewFormViewModel(ctx)
        vm.bind(on_submitted=lambda vm: self.app.submitted(vm))
        return vm


SCREEN = InterviewScreen
