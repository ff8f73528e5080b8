"""Where each visit, interview or lead is: draft → waiting → received (time) → approved / returned.

The store knows a record's local state and server status; the moment the server
acknowledged it is noted here, after each sync, in the store's state (key ``receipts``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mobile.i18n import tr

RECORD_ENTITIES = ("visit", "interview", "lead")
_KEEP = 5000  # receipts remembered; older ones only lose their time, not their state


def waiting_ids(store) -> list[tuple[str, str]]:
    """(entity, id) of the visits, interviews and leads in the outbox now."""
    return [
        (item["entity"], item["id"])
        for item in store.outbox_items()
        if item["entity"] in RECORD_ENTITIES
    ]


def note_received(store, waiting: list[tuple[str, str]], now: datetime) -> int:
    """Stamp ``now`` on those of ``waiting`` the server has acknowledged; returns how many."""
    known = dict(store.get_state("receipts") or {})
    stamped = 0
    for entity, record_id in waiting:
        record = store.record(entity, record_id)
        if record and record["local_state"] == "synced" and record_id not in known:
            known[record_id] = now.isoformat()
            stamped += 1
    if stamped:
        if len(known) > _KEEP:
            known = dict(sorted(known.items(), key=lambda kv: kv[1])[-_KEEP:])
        store.set_state("receipts", known)
    return stamped


def stage(record: dict[str, Any]) -> str:
    """One of draft, pending, attention, returned, approved, received."""
    local = record.get("local_state")
    if local in ("draft", "pending", "attention"):
        return local
    if record.get("status") == "returned":
        return "returned"
    if record.get("status") == "approved":
        return "approved"
    return "received"


def describe(record: dict[str, Any], received: dict[str, str], tz) -> str:
    """The receipt in words, in the current language."""
    kind = stage(record)
    if kind == "draft":
        return tr("receipt.draft")
    if kind == "pending":
        return tr("receipt.pending")
    if kind == "attention":
        return tr("receipt.attention")
    if kind == "returned":
        return tr("receipt.returned", comment=record.get("review_comment") or "")
    if kind == "approved":
        return tr("receipt.approved")
    when = received.get(record["id"])
    if when:
        local = datetime.fromisoformat(when).astimezone(tz)
        return tr("receipt.received", when=local.strftime("%m-%d %H:%M"))
    return tr("receipt.received_plain")
