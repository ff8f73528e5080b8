"""The household file (一户一档)."""

from __future__ import annotations

from kivy.factory import Factory

from mobile.screens import BaseScreen
from mobile.viewmodels.household import HouseholdViewModel
from mobile.widgets.common import Caption


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

    def back(self) -> None:
        """To the due list; its row is recomputed only when a correction was saved here."""
        changed = self.vm.household_id if self.vm.edited else ""
        self.vm.edited = False
        self.app.show("duelist", changed=changed)

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
        """A history entry: what was found and noted; a tap opens it (read-only unless it
        was returned to be corrected: :func:`mobile.records.editable`)."""
        text = f"{entry['text']} — {entry['receipt']}"
        button = Factory.HistoryEntry(
            text=f"{text}\n{entry['detail']}" if entry["detail"] else text
        )
        button.record_id = entry["id"]
        if entry["stage"] == "returned":
            button.background_color = (0.75, 0.2, 0.2, 1)
        button.bind(on_release=lambda *_: self.app.open_record(entry["entity"], entry["id"]))
        return button


SCREEN = HouseholdScreen
