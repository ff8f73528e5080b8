"""The audit trail for admins: filtered, newest first, in pages or in batches for export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from server.models import AuditEvent, User
from server.services.admin.accounts import require_admin
from server.services.core.audit import SECRET_FIELDS
from server.services.core.errors import Invalid
from server.services.core.paging import Page

MASK = "***"


@dataclass(frozen=True)
class AuditFilter:
    """What the log asks for; ``since``/``until`` are local dates (both included)."""

    actor_id: int | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Entry:
    """One event with its actor (None: the system, e.g. an import) and a masked diff."""

    event: AuditEvent
    actor: User | None
    diff: dict[str, Any]


def masked(diff: dict[str, Any] | None) -> dict[str, Any]:
    """The diff with every secret field's values shown as ``***`` (written masked already;
    this holds for rows written before a field became secret)."""
    return {
        k: [MASK, MASK] if k in SECRET_FIELDS or "password" in k or "token" in k else v
        for k, v in (diff or {}).items()
    }


def check(filters: AuditFilter) -> None:
    """Refuse a date range the wrong way round (an :class:`Invalid` on ``until``)."""
    for name in ("since", "until"):
        day = getattr(filters, name)
        if day is not None and not 2000 <= day.year <= 2099:
            raise Invalid("No such date in the log.", {name: ["Between 2000 and 2099."]})
    if filters.since and filters.until and filters.since > filters.until:
        raise Invalid("The dates are the wrong way round.", {"until": ["Before the start date."]})


def _conditions(filters: AuditFilter, tz: str) -> list:
    check(filters)
    zone = ZoneInfo(tz)
    found = []
    if filters.actor_id is not None:
        found.append(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        found.append(AuditEvent.action == filters.action)
    if filters.entity:
        found.append(AuditEvent.entity == filters.entity)
    if filters.entity_id:
        found.append(AuditEvent.entity_id == filters.entity_id)
    if filters.since:
        found.append(AuditEvent.at >= datetime.combine(filters.since, time(), zone))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), zone)
        found.append(AuditEvent.at < end)
    return found


def _query(filters: AuditFilter, tz: str):
    return (
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*_conditions(filters, tz))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def search(
    session: Session, actor: User, filters: AuditFilter, *, tz: str, page: int, page_size: int
) -> Page:
    """One page of the events matching ``filters``, newest first."""
    require_admin(actor)
    count = select(func.count(AuditEvent.id)).where(*_conditions(filters, tz))
    rows = session.execute(_query(filters, tz).limit(page_size).offset((page - 1) * page_size))
    items = [Entry(e, u, masked(e.diff)) for e, u in rows]
    return Page(items=items, total=session.scalar(count) or 0, page=page, page_size=page_size)


def every(
    session: Session, actor: User, filters: AuditFilter, *, tz: str, batch: int = 1000
) -> Iterator[Entry]:
    """All matching events, newest first, read in batches by key (an export of a long log
    never holds it all in memory, and a later page costs no more than the first)."""
    require_admin(actor)
    stmt, last = _query(filters, tz), None
    while True:
        page = stmt
        if last is not None:
            at, event_id = last
            page = stmt.where(
                or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < event_id))
            )
        rows = session.execute(page.limit(batch)).all()
        for event, user in rows:
            yield Entry(event, user, masked(event.diff))
        if len(rows) < batch:
            return
        last = (rows[-1][0].at, rows[-1][0].id)


def find_actor(session: Session, username: str) -> User | None:
    """The account a "who" filter names, by username."""
    return session.scalar(select(User).where(User.username == username))
