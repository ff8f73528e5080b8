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

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx

    def refresh(self) -> None:
        """Re-read the tablet's standing and say it in words."""
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
