"""The lock shown instead of personal data: past the offline lease, or revoked (issue 19)."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, StringProperty

from mobile import access
from mobile.i18n import tr


class LockedViewModel(EventDispatcher):
    """Why the screens are locked, and whether a sync can lift it (the lease only)."""

    reason = StringProperty("open")  # lease, revoked, wipe (mobile.access.standing)
    title = StringProperty("")
    text = StringProperty("")
    can_sync = BooleanProperty(False)
    household_id = StringProperty("")  # past the lease: the household still open
    back_to = StringProperty("")  # its button's words ("" hides it)

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx

    def refresh(self, household_id: str = "") -> None:
        """Re-read the tablet's standing and say it in words; ``household_id`` is the one
        the advisor opened last (past the lease, a visit there may still be recorded)."""
        store = self.ctx.store
        self.reason = access.standing(store, self.ctx.now())
        kind = (access.revoked(store) or {}).get("kind", "")
        if self.reason == "lease":
            self.title, self.text = tr("locked.lease.title"), tr("locked.lease.text")
        elif kind == "retire":
            pending = store.pending_count()
            self.title = tr("locked.retired.title")
            self.text = tr("locked.retired.text", count=pending)
        else:
            self.title, self.text = tr("locked.lost.title"), tr("locked.lost.text")
        # Past the lease a sync lifts the lock; a retired tablet syncs to send the rest.
        self.can_sync = self.reason == "lease" or kind == "retire"
        found = store.household(household_id) if household_id and self.reason == "lease" else None
        self.household_id = household_id if found else ""
        self.back_to = tr("locked.back", name=found["head_name"]) if found else ""
