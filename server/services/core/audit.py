"""The audit trail: every write through a service records who changed what."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from server.models import AuditEvent, User

# Values of these fields never reach the trail: only that they changed.
SECRET_FIELDS = frozenset({"password_hash", "token_hash", "id_number"})


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def changes(obj: Any) -> dict[str, list[Any]]:
    """The fields of ``obj`` changed since it was loaded (or all of them, if new).

    Returns ``{field: [old, new]}``; secrets are replaced by a marker.
    """
    state = inspect(obj)
    diff: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if state.pending or state.transient:
            new = getattr(obj, attr.key)
            if new is None:
                continue
            diff[attr.key] = [None, new]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            diff[attr.key] = [old, new]
    return {
        k: (["***", "***"] if k in SECRET_FIELDS else [plain(v) for v in pair])
        for k, pair in diff.items()
        if k != "version"
    }


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: Any,
    now: datetime,
    diff: dict | None = None,
    device_id: str | None = None,
) -> AuditEvent:
    """Append one audit event to the session (committed with the change it describes)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        device_id=device_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        diff=plain(diff or {}),
        at=now,
    )
    session.add(event)
    return event
