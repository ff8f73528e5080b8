"""The due list (home): tabs, search, community filter, grouped rows, sync badge."""

from __future__ import annotations

from kivy.clock import Clock

from mobile.screens import BaseScreen
from mobile.viewmodels.duelist import DueListViewModel

FLASH_SECONDS = 8  # how long a confirmation stays


class DueListScreen(BaseScreen):
    def make_vm(self, ctx):
        return DueListViewModel(ctx)

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        # The RecycleView's data is set here, not in kv: after a save only the changed rows
        # are replaced (a kv binding would hand it every row again).
        self.vm.bind(rows=self._reload, on_patched=self._patched)
        self._reload()

    def _reload(self, *_) -> None:
        if not self.vm.patching:
            self.ids.rv.data = self.sized(self.vm.rows)

    def _patched(self, vm, changed: list[int]) -> None:
        data = self.ids.rv.data
        for i in changed:
            data[i] = self.sized([vm.rows[i]])[0]

    def prepare(self, changed: str = "", returned: bool = False, **kwargs) -> None:
        """Back on the list: ``changed`` names a household just saved (its row alone is
        recomputed); ``returned`` says a returned record was corrected (recount them)."""
        self._follow_sync()
        self.vm.refresh_badge()
        if changed:
            self.vm.update_household(changed)
        else:
            self.vm.refresh_if_stale()
        if returned or not self.vm.returned_count:
            self.vm.refresh_returned()

    def _follow_sync(self) -> None:
        """Show the first pull's progress on the list (bound once, to the sync screen's)."""
        if getattr(self, "_following", False):
            return
        self._following = True
        sync = self.app.screen("sync").vm

        def show(*_) -> None:
            self.vm.show_pull(sync.first_pull, sync.pulled, sync.pull_total)

        sync.bind(first_pull=show, pulled=show)
        show()

    def confirm(self, text: str) -> None:
        """Say that something went through, for a few seconds."""
        self.vm.flash = text
        if getattr(self, "_fade", None) is None:
            self._fade = Clock.create_trigger(
                lambda dt: setattr(self.vm, "flash", ""), FLASH_SECONDS
            )
        self._fade.cancel()
        self._fade()

    def _clear_flash(self, dt) -> None:
        self.vm.flash = ""

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
