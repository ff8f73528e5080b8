"""The household file (一户一档)."""

from __future__ import annotations

from mobile.screens import BaseScreen
from mobile.viewmodels.household import HouseholdViewModel
from mobile.widgets.common import Caption, TButton


class HouseholdScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = HouseholdViewModel(ctx)
        vm.bind(
            facts=self._fill,
            members=self._fill,
            warnings=self._fill,
            timeline=self._fill,
        )
        return vm

    def prepare(self, household_id: str = "", **kwargs) -> None:
        self.vm.load(household_id or self.vm.household_id)
        self._fill()

    def _fill(self, *_) -> None:
        """Rebuild the lists (they are short: a household's members and last visits)."""
        if "facts" not in self.ids:
            return
        self._lines(self.ids.facts, [f"{name}：{value}" for name, value in self.vm.facts])
        self._lines(self.ids.members, self.vm.members)
        self._lines(self.ids.warnings, self.vm.warnings or ["—"])
        box = self.ids.timeline
        box.clear_widgets()
        for entry in self.vm.timeline:
            box.add_widget(self._entry(entry))

    @staticmethod
    def _lines(box, lines) -> None:
        box.clear_widgets()
        for line in lines:
            box.add_widget(Caption(text=line))

    def _entry(self, entry: dict):
        if entry["stage"] == "returned":
            button = TButton(text=f"{entry['text']} — {entry['receipt']}")
            button.background_color = (0.75, 0.2, 0.2, 1)
            button.bind(on_release=lambda *_: self.app.open_record(entry["entity"], entry["id"]))
            return button
        return Caption(text=f"{entry['text']} — {entry['receipt']}")


SCREEN = HouseholdScreen
