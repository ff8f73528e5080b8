"""The sync screen: progress, last result, needs attention (conflicts side by side)."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout

from mobile.i18n import tr
from mobile.screens import BaseScreen
from mobile.viewmodels.sync import SyncViewModel
from mobile.widgets.common import Caption, TButton


class SyncScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = SyncViewModel(ctx)
        vm.bind(on_synced=lambda vm: self.app.synced(), attention=self._fill)
        vm.refresh()
        return vm

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
            if item["status"] == "conflict":
                choices = (("sync.keep_mine", "mine"), ("sync.keep_theirs", "theirs"))
            else:
                choices = (("sync.dismiss", "theirs"),)
            for key, keep in choices:
                button = TButton(text=tr(key))
                button.bind(on_release=lambda _b, i=item["id"], k=keep: self.vm.resolve(i, k))
                buttons.add_widget(button)
            box.add_widget(buttons)


SCREEN = SyncScreen
