"""Which screens may open: the offline lease and an admin's revocation (issue 19).

GUI-agnostic: the app asks :func:`blocked` before showing a screen and :func:`standing`
on every answer and every few seconds; tests ask the same with a fixed clock.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sync.protocol import DEFAULT_LEASE_HOURS, LEASE_WARN_HOURS

# Screens that show households, members or records (personal data).
DATA_SCREENS = frozenset(
    {"duelist", "household", "visit", "interview", "lead", "records", "drafts", "sync"}
)
# Past the lease, a visit for a household already opened may still be recorded: the
# advisor is standing in that home (its household page and forms stay open).
FOR_AN_OPENED_HOUSEHOLD = frozenset({"household", "visit", "interview"})
WARN = timedelta(hours=LEASE_WARN_HOURS)


def lease_until(store) -> datetime | None:
    """The end of the offline lease: what the server last said, else the default length
    from the last sync (a store from before the lease); None before any sync."""
    told = store.get_state("lease_until")
    if told:
        return datetime.fromisoformat(told)
    last = store.get_state("last_sync_at")
    if last:
        return datetime.fromisoformat(last) + timedelta(hours=DEFAULT_LEASE_HOURS)
    return None


def lease_left(store, now: datetime) -> timedelta | None:
    """What is left of the lease at ``now`` (negative once past), or None (none yet)."""
    until = lease_until(store)
    return None if until is None else until - now.astimezone(UTC)


def lease_expired(store, now: datetime) -> bool:
    """The lease ran out: screens with personal data lock until a sync succeeds."""
    left = lease_left(store, now)
    return left is not None and left <= timedelta(0)


def revoked(store) -> dict | None:
    """``{kind, wipe}`` once an answer said an admin revoked this tablet, else None."""
    value = store.get_state("revoked")
    return value if isinstance(value, dict) else None


def standing(store, now: datetime) -> str:
    """``wipe`` (destroy the data now), ``revoked`` (locked; a retired tablet still
    sends what it holds), ``lease`` (past the lease) or ``open``. A store not yet opened
    (the PIN or the password first: its key) is ``open``: nothing of it can show, and its
    standing is read again once it opens."""
    if store is None:
        return "open"
    state = revoked(store)
    if state is not None:
        return "wipe" if state.get("wipe") else "revoked"
    return "lease" if lease_expired(store, now) else "open"


def blocked(
    store, now: datetime, screen: str, household_id: str = "", opened: Collection[str] = ()
) -> str | None:
    """Why ``screen`` (for ``household_id``) may not open now, or None. ``opened`` holds
    the households the advisor opened while the lease held."""
    if screen not in DATA_SCREENS:
        return None
    why = standing(store, now)
    if why == "open":
        return None
    if why == "lease" and screen in FOR_AN_OPENED_HOUSEHOLD and household_id in opened:
        return None
    return why


def left_words(left: timedelta) -> str:
    """What is left of the lease in hours and minutes (never negative)."""
    from mobile.i18n import tr

    minutes = max(0, int(left.total_seconds() // 60))
    return tr("lease.hours", h=minutes // 60, m=minutes % 60)


def badge_words(store, now: datetime) -> str:
    """The badge's lease line: shown only within :data:`WARN` of the end (else "")."""
    from mobile.i18n import tr

    left = lease_left(store, now)
    if left is None or left > WARN:
        return ""
    return tr("badge.lease", left=left_words(left))


def household_of(kwargs: dict) -> str:
    """The household a screen is shown for, from its ``show`` arguments."""
    if kwargs.get("household_id"):
        return str(kwargs["household_id"])
    for key in ("draft", "record"):
        value = kwargs.get(key)
        if isinstance(value, dict):
            found = value.get("household_id") or (value.get("form") or {}).get("household_id")
            if found:
                return str(found)
    return ""
