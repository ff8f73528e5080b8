"""The due list (home): tabs, search, community filter, grouped rows, sync badge."""

from __future__ import annotations

from kivy.clock import Clock

from mobile.screens import BaseScreen
from mobile.viewmodels.duelist import DueListViewModel


class DueListScreen(BaseScreen):
    def make_vm(self, ctx):
        vm = DueListViewModel(ctx)
        # Several refresh requests in one frame (sync done, screen entered) run once.
        self.request_refresh = Clock.create_trigger(lambda dt: vm.refresh())
        return vm

    def prepare(self, **kwargs) -> None:
        self.vm.refresh()
        self.vm.refresh_returned()

    def sized(self, rows: list[dict]) -> list[dict]:
        """RecycleView data with each item's height (headers are shorter than rows)."""
        from kivy.metrics import dp

        header, row = (None, dp(44)), (None, dp(84))
        return [{**r, "row_size": header if r["viewclass"] == "GroupHeader" else row} for r in rows]

    def community_values(self, communities, lang) -> list[str]:
        """Spinner entries: "all" first, then each community."""
        from mobile.i18n import tr

        return [tr("due.all_communities", lang)] + [text for _, text in communities]

    def choose_community(self, text: str) -> None:
        """The spinner's text back to a community id ("" for all)."""
        ids = {label: cid for cid, label in self.vm.communities}
        self.vm.community = ids.get(text, "")


SCREEN = DueListScreen
