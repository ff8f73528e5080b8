"""The re-import's three-way merge: per field, the file's value unless the household's
value changed since the last import wrote it (then it is kept and reported, with the day)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEvent

KEPT = "保留：走访中已更新"
# Fields never merged: the household number is how the row finds its household.
_NOT_MERGED = frozenset({"external_id"})


_AS_IS = frozenset({str, int})


def plain(value: Any) -> Any:
    """``value`` as stored in ``imported_values`` (JSON: dates as ISO text)."""
    if value is None or type(value) in _AS_IS:  # most values: asked first
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def three_way(
    given: dict[str, Any], current: Any
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """The changes the file makes to ``current``, the fields kept, and the new
    ``imported_values``.

    A field whose value differs from what the last import wrote was changed since by
    someone else (an advisor's edit on the tablet, the console): it is kept, and its base
    stays the last import's value so the next import keeps it too. A household no import
    has written yet (``imported_values`` None) takes the file's values, as before.
    """
    base = current.imported_values
    changes: dict[str, Any] = {}
    kept: list[str] = []
    imported: dict[str, Any] = {}
    for key, value in given.items():
        now = getattr(current, key)
        if key in _NOT_MERGED:
            if now != value:
                changes[key] = value
            continue
        if base is not None and key in base and plain(now) != base[key]:
            if plain(value) == plain(now):
                imported[key] = plain(value)  # the file caught up: that is the base now
            else:
                kept.append(key)
                imported[key] = base[key]
            continue
        imported[key] = plain(value)
        if now != value:
            changes[key] = value
    return changes, kept, imported


def kept_days(
    session: Session, kept: dict[uuid.UUID, list[str]], tz: str
) -> dict[tuple[uuid.UUID, str], date]:
    """The local day each kept field last changed, from the audit trail (newest event
    whose diff names the field); absent when the trail does not say."""
    if not kept:
        return {}
    zone = ZoneInfo(tz)
    days: dict[tuple[uuid.UUID, str], date] = {}
    by_text = {str(k): k for k in kept}
    ids = sorted(by_text)
    for start in range(0, len(ids), 500):
        stmt = (
            select(AuditEvent.entity_id, AuditEvent.diff, AuditEvent.at)
            .where(
                AuditEvent.entity == "household", AuditEvent.entity_id.in_(ids[start : start + 500])
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        for entity_id, diff, at in session.execute(stmt):
            household_id = by_text[entity_id]
            for key in kept[household_id]:
                if key in (diff or {}) and (household_id, key) not in days:
                    days[(household_id, key)] = at.astimezone(zone).date()
    return days


def kept_message(day: date | None) -> str:
    """The dry run's line for a kept field."""
    return f"{KEPT}，{day.isoformat()}" if day else f"{KEPT}。"
