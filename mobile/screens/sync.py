"""The sync screen: progress, last result, needs attention (conflicts side by side)."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout

from mobile.i18n import tr
from mobile.screens import BaseScreen
from mobile.viewmodels.sync import SyncViewModel
from mobile.widgets.common import Caption, ConfirmPopup, TButton


class DiscardPopup(ConfirmPopup):
    """Asks before a refused record is given up, saying what would be lost."""


class SyncScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = SyncViewModel(ctx)
        vm.bind(on_synced=lambda vm: self.app.synced(), attention=self._fill)
        vm.bind(on_discarded=self._discarded, on_failed=lambda vm: self.app.sync_failed())
        vm.refresh()
        return vm

    def _discarded(self, vm, household_id: str) -> None:
        """A discarded record no longer makes its household done: recompute that row."""
        manager = self.app.manager
        if manager.has_screen("duelist"):
            manager.get_screen("duelist").vm.update_household(household_id)

    def prepare(self, **kwargs) -> None:
        self.vm.refresh()
        self._fill()

    def _fill(self, *_) -> None:
        if "attention" not in self.ids:
            return
        box = self.ids.attention
        box.clear_widgets()
        if not self.vm.attention:
            box.add_widget(Caption(text=tr("sync.no_attention")))
        for item in self.vm.attention:
            box.add_widget(Caption(text=item["title"], bold=True))
            for pair in item["pairs"]:
                row = BoxLayout(size_hint_y=None, height="52dp", spacing="8dp")
                row.add_widget(Caption(text=pair["mine"], size_hint_y=1))
                row.add_widget(Caption(text=pair["theirs"], size_hint_y=1))
                box.add_widget(row)
            buttons = BoxLayout(size_hint_y=None, height="52dp", spacing="8dp")
            if item["refused"]:
                # Field work the server did not take: which record, and giving it up is
                # asked for first.
                box.add_widget(Caption(text=item["what"]))
                button = TButton(text=tr("sync.discard"), background_color=(0.75, 0.2, 0.2, 1))
                button.bind(on_release=lambda _b, i=item: self.ask_discard(i))
                buttons.add_widget(button)
                box.add_widget(buttons)
                continue
            if item["status"] == "conflict":
                choices = (("sync.keep_mine", "mine"), ("sync.keep_theirs", "theirs"))
            else:
                choices = (("sync.dismiss", "theirs"),)
            for key, keep in choices:
                button = TButton(text=tr(key))
                button.bind(on_release=lambda _b, i=item["id"], k=keep: self.vm.resolve(i, k))
                buttons.add_widget(button)
            box.add_widget(buttons)

    def ask_discard(self, item: dict) -> DiscardPopup:
        """Open the confirmation; only its confirm button discards."""
        popup = DiscardPopup(
            lambda: self.vm.discard(item["id"]), title=tr("sync.discard_title"), what=item["what"]
        )
        popup.open()
        return popup


SCREEN = SyncScreen
