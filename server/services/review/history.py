"""A record's own history for review: what its resubmission changed, and its thread.

Earlier versions live in the audit trail: a correction pushed from a tablet records a
``sync_correct`` event whose diff holds the old and new value of every changed column
(:func:`server.services.core.audit.changes`, secrets masked); a return records the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEvent, User, Visit
from server.services.core.audit import plain

# Columns a correction changes as bookkeeping, not as what the advisor recorded.
BOOKKEEPING = frozenset(
    {"status", "payload_hash", "review_comment", "flag", "on_behalf_of", "corrected_by_id"}
)
# A visit's fields compared with the household's previous visit, in the order shown.
COMPARED = (
    "outcome",
    "living_conditions",
    "income_change",
    "estimated_monthly_income",
    "findings",
    "needs",
    "situation",
    "suggested_level",
    "urgent",
)
# The thread's events: submitted, returned with a comment, corrected, approved.
THREAD_ACTIONS = ("sync_create", "return", "sync_correct", "approve")


@dataclass(frozen=True)
class FieldChange:
    """One field's value before and after (JSON-safe values, as the trail keeps them)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ThreadEntry:
    """One step of a record's review: who did it, when, and its comment or changed fields."""

    at: datetime
    action: str
    actor: str
    comment: str | None
    fields: tuple[str, ...]


def events(session: Session, entity: str, record_id) -> list[AuditEvent]:
    """The record's audit events, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(record_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def resubmission_changes(trail: list[AuditEvent]) -> list[FieldChange]:
    """Field by field, the version the supervisor last returned → the record now: the
    corrections since the last return, merged (a field's first old value, its last new)."""
    last_return = max((i for i, e in enumerate(trail) if e.action == "return"), default=None)
    if last_return is None:
        return []
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for event in trail[last_return + 1 :]:
        if event.action != "sync_correct":
            continue
        for name, pair in (event.diff or {}).items():
            if name in BOOKKEEPING or not isinstance(pair, list) or len(pair) != 2:
                continue
            first.setdefault(name, pair[0])
            last[name] = pair[1]
    return [FieldChange(n, first[n], last[n]) for n in sorted(first) if first[n] != last[n]]


def since_previous(record: Visit, previous: Visit | None) -> list[FieldChange]:
    """What the visit records differently from the household's previous visit."""
    if previous is None:
        return []
    out = []
    for name in COMPARED:
        old, new = plain(getattr(previous, name)), plain(getattr(record, name))
        if old != new:
            out.append(FieldChange(name, old, new))
    return out


def thread(session: Session, trail: list[AuditEvent]) -> list[ThreadEntry]:
    """Submission, returns with their comments, corrections and approval, in order."""
    steps = [e for e in trail if e.action in THREAD_ACTIONS]
    ids = {e.actor_id for e in steps if e.actor_id is not None}
    names = {}
    if ids:
        rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
        names = {uid: name for uid, name in rows}
    entries = []
    for e in steps:
        diff = e.diff or {}
        comment = (diff.get("review_comment") or [None, None])[1] if e.action == "return" else None
        changed = ()
        if e.action == "sync_correct":
            changed = tuple(sorted(k for k in diff if k not in BOOKKEEPING))
        entries.append(ThreadEntry(e.at, e.action, names.get(e.actor_id, ""), comment, changed))
    return entries
