"""The due list (home screen): tabs with counts, search, community filter, grouping, badge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, DictProperty, ListProperty, StringProperty

from mobile import access, records
from mobile.background import Worker
from mobile.i18n import label, language, tr
from sync.enums import VisitCycle
from sync.schedule import State, explain

TABS = ("overdue", "due", "done", "all")
_TAB_STATES = {
    "overdue": {State.OVERDUE},
    "due": {State.DUE, State.NEW},
    "done": {State.DONE},
    "all": set(State),
}
STALE_AFTER = timedelta(hours=24)


def community_label(household: dict[str, Any]) -> str:
    """The residence community's name as the pull sent it; its id for a household stored
    before the server sent names (until its next change arrives)."""
    name = household.get("residence_community_name")
    return name or tr("due.community", id=household["residence_community_id"])


def tab_of(state: State) -> str:
    """The tab a state is listed under (besides 全部)."""
    return next(tab for tab in TABS if state in _TAB_STATES[tab])


class DueListViewModel(EventDispatcher):
    """What the due list shows; ``rows`` is RecycleView data (group headers and rows)."""

    tab = StringProperty("overdue")
    search = StringProperty("")
    community = StringProperty("")  # "" = all communities
    communities = ListProperty([])  # [(id as str, label)]
    counts = DictProperty({tab: 0 for tab in TABS})
    rows = ListProperty([])
    badge = StringProperty("")
    badge_last = StringProperty("")
    badge_red = BooleanProperty(False)
    badge_level = StringProperty("ok")  # ok (green), failed (amber), stale (red: 24 h rule)
    loading = StringProperty("")  # the first pull's progress, shown instead of "empty"
    flash = StringProperty("")  # a short confirmation (提交 went through)
    computing = BooleanProperty(False)  # a background recompute runs
    patching = False  # rows are being changed in place (the screen patches, not reloads)

    __events__ = ("on_patched",)
    returned_count = StringProperty("")
    drafts_label = StringProperty("")

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self._items: list[dict[str, Any]] = []
        self._day = None  # the day the statuses were computed for
        self._tab_chosen = False
        self._pending = 0  # background recomputes submitted and not yet applied
        # Per household: the item and language its row was made from, and the row. After
        # a save only that household's item is new: the other rows are reused, not made
        # again (making 2,000 rows was most of the update).
        self._made: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {}
        self._worker = Worker(ctx.post)
        self.bind(tab=self._filter, search=self._filter, community=self._filter)
        language.bind(lang=self._relabel)

    def refresh(self) -> None:
        """Recompute every household's status from the store (same code as the server)."""
        self._apply(self._compute())

    def _relabel(self, *_: Any) -> None:
        # Another language changes the words, not a status: the rows are made again from
        # the statuses already computed (no recompute on the UI thread).
        if self._day is not None:
            self._apply((self._day, self._items))

    def refresh_in_background(self) -> None:
        """The same recompute off the UI thread (a caseload of thousands takes a while);
        the rows change when it is done, ``computing`` says it runs."""
        self._pending += 1
        self.computing = True
        self._worker.submit(self._compute, self._applied_in_background)

    def _applied_in_background(self, computed) -> None:
        # Computing stays on until the last queued recompute is in: an earlier one ending
        # must not make the list look settled while a later one (after a sync) still runs.
        self._pending -= 1
        if computed is not None:
            self._apply(computed)
        self.computing = self._pending > 0

    def refresh_if_stale(self) -> None:
        """Back on the list: recompute only when the day changed since (nothing else
        moves a status without a save or a sync, which update the list themselves)."""
        if self._day != self.ctx.today():
            self.refresh_in_background()
        else:
            self.refresh_badge()

    def update_household(self, household_id: str) -> None:
        """After a save: recompute that one household's row, not the whole caseload."""
        if self._day != self.ctx.today():
            self.refresh_in_background()
            return
        fresh = self.ctx.store.due_list(self.ctx.today(), tz=str(self.ctx.tz), only=household_id)
        kept = [i for i in self._items if i["household"]["id"] != household_id]
        self._apply((self._day, kept + fresh), patch=True)
        if self._pending:
            # A recompute read before this save would bring the old row back: queue one
            # after it.
            self.refresh_in_background()

    def _compute(self) -> tuple[Any, list[dict[str, Any]]]:
        today = self.ctx.today()
        return today, self.ctx.store.due_list(today, tz=str(self.ctx.tz))

    def _apply(self, computed: tuple[Any, list[dict[str, Any]]], patch: bool = False) -> None:
        self._day, self._items = computed
        counts = dict.fromkeys(TABS, 0)
        communities: dict[str, str] = {}
        for item in self._items:
            counts[tab_of(item["schedule"].state)] += 1
            cid = str(item["household"]["residence_community_id"])
            communities[cid] = community_label(item["household"])
        counts["all"] = len(self._items)
        self.counts = counts
        if not self._tab_chosen and self._items:
            # The first list the advisor sees opens on a tab with something in it.
            self._tab_chosen = True
            self.tab = next((t for t in TABS if counts[t]), "all")
        self.communities = sorted(communities.items(), key=lambda kv: (kv[1], int(kv[0])))
        self._filter(patch=patch)
        self.refresh_badge()

    def _filter(self, *_: Any, patch: bool = False) -> None:
        states, needle = _TAB_STATES[self.tab], self.search.strip().lower()
        chosen = [
            item
            for item in self._items
            if item["schedule"].state in states
            and (
                not self.community
                or str(item["household"]["residence_community_id"]) == self.community
            )
            and (
                not needle
                or needle in item["household"]["head_name"].lower()
                or needle in item["household"]["residence_address"].lower()
            )
        ]
        rows = self._grouped(chosen)
        if patch and len(rows) == len(self.rows):
            self._patch(rows)
        else:
            self.rows = rows

    def _patch(self, rows: list[dict[str, Any]]) -> None:
        """Change only the rows that differ (one household after a save), so the list
        redraws those rows instead of laying out every household again."""
        changed = [
            i for i, (old, new) in enumerate(zip(self.rows, rows, strict=True)) if old != new
        ]
        self.patching = True
        try:
            for i in changed:
                self.rows[i] = rows[i]
        finally:
            self.patching = False
        self.dispatch("on_patched", changed)

    def on_patched(self, changed: list[int]) -> None:
        """Default handler (the screen updates those rows of its RecycleView)."""

    def _grouped(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Group by community, rows by address, so one building's households come together."""
        groups: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            groups.setdefault(item["household"]["residence_community_id"], []).append(item)
        lang, data = language.lang, []
        # Communities by name, so the list reads in the order an advisor knows them.
        for cid in sorted(groups, key=lambda c: (community_label(groups[c][0]["household"]), c)):
            members = sorted(groups[cid], key=lambda i: i["household"]["residence_address"])
            name = community_label(members[0]["household"])
            data.append({"viewclass": "GroupHeader", "text": f"{name} · {len(members)}"})
            data.extend(self._row_of(item, lang) for item in members)
        return data

    def _row_of(self, item: dict[str, Any], lang: str) -> dict[str, Any]:
        household_id = item["household"]["id"]
        made = self._made.get(household_id)
        if made is not None and made[0] is item and made[1] == lang:
            return made[2]
        row = self._row(item, lang)
        self._made[household_id] = (item, lang, row)
        return row

    @staticmethod
    def _row(item: dict[str, Any], lang: str) -> dict[str, Any]:
        household, schedule = item["household"], item["schedule"]
        return {
            "viewclass": "DueRow",
            "household_id": household["id"],
            "head": household["head_name"],
            "address": household["residence_address"],
            "community": community_label(household),
            "cycle": label(VisitCycle, schedule.cycle.value, lang),
            "due_state": schedule.state.value,
            "state_text": tr(f"state.{schedule.state.value}", lang),
            "reason": explain(schedule, lang),
        }

    def refresh_badge(self) -> None:
        """Pending count and the last attempt: green after a success, amber after a failure
        (with the last success's time), red when the oldest unsent waited over 24 h."""
        store = self.ctx.store
        pending = store.pending_count()
        self.badge = tr("badge.pending", count=pending)
        last = store.get_state("last_sync_at")
        when = (
            datetime.fromisoformat(last).astimezone(self.ctx.tz).strftime("%m-%d %H:%M")
            if last
            else ""
        )
        failed = (store.get_state("last_sync") or {}).get("outcome") == "failed"
        if failed:
            self.badge_last = tr("badge.failed", when=when or tr("badge.never"))
        else:
            self.badge_last = tr("badge.synced", when=when) if last else tr("badge.never")
        lease = access.badge_words(store, self.ctx.now())
        if lease:  # under 12 h left of the offline lease
            self.badge_last = f"{self.badge_last} · {lease}"
        oldest = store.oldest_pending_at()
        now = self.ctx.now().astimezone(UTC)
        self.badge_red = bool(oldest) and now - datetime.fromisoformat(oldest) > STALE_AFTER
        self.badge_level = "stale" if self.badge_red else "failed" if failed else "ok"
        self.drafts_label = tr("nav.drafts", count=len(records.drafts(store)))

    def show_pull(self, first: bool, count: int, total: int = 0) -> None:
        """The first pull's progress ("n / total" when the server said how many) stands
        where "no households" would (empty when done)."""
        if not first:
            self.loading = ""
        elif count and total:
            self.loading = tr("due.loading_of", count=f"{count:,}", total=f"{total:,}")
        else:
            self.loading = tr("due.loading", count=count) if count else tr("due.loading_start")

    def refresh_returned(self) -> None:
        """Count returned records (reads every history: run at start and after a pull)."""
        store = self.ctx.store
        count = len(records.returned(store)) if store.get_state("user") else 0
        self.returned_count = tr("nav.returned", count=count)
