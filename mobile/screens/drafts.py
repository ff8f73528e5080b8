"""Unfinished forms (草稿): continue one, or discard it after a confirmation."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.i18n import tr
from mobile.screens import BaseScreen
from mobile.viewmodels.drafts import DraftsViewModel
from mobile.widgets.common import Caption, ConfirmPopup, TButton


class DraftDiscardPopup(ConfirmPopup):
    """Asks before a draft is thrown away, naming it."""


class DraftRow(BoxLayout):
    """One draft; ``draft_id`` lets a test (and the driver) find it."""

    draft_id = StringProperty("")


class DraftsScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = DraftsViewModel(ctx)
        vm.bind(rows=self._fill)
        return vm

    def prepare(self, **kwargs) -> None:
        self.vm.refresh()
        self._fill()

    def _fill(self, *_) -> None:
        if "drafts" not in self.ids:
            return
        box = self.ids.drafts
        box.clear_widgets()
        for row in self.vm.rows:
            line = DraftRow(draft_id=row["draft_id"])
            line.add_widget(Caption(text=f"{row['title']}\n{row['when']}", size_hint_y=1))
            go = TButton(text=tr("due.draft_continue"), size_hint_x=None, width="140dp")
            go.bind(on_release=lambda _b, i=row["draft_id"]: self.resume(i))
            drop = TButton(text=tr("due.draft_discard"), size_hint_x=None, width="140dp")
            drop.background_color = (0.55, 0.55, 0.55, 1)
            drop.bind(on_release=lambda _b, r=row: self.ask_discard(r))
            line.add_widget(go)
            line.add_widget(drop)
            box.add_widget(line)

    def resume(self, draft_id: str) -> None:
        draft = self.vm.find(draft_id)
        if draft is not None:
            self.app.show(draft["entity"], draft=draft)

    def ask_discard(self, row: dict) -> DraftDiscardPopup:
        """Open the confirmation; only its confirm button discards."""
        popup = DraftDiscardPopup(
            lambda: self.vm.discard(row["draft_id"]),
            title=tr("drafts.discard_title"),
            what=f"{row['title']} · {row['when']}",
        )
        popup.open()
        return popup


SCREEN = DraftsScreen
