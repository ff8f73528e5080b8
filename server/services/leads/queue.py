"""Leads (走访发现): the street queue supervisors list (the console decides them)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Lead, User
from server.services.core import scope
from server.services.core.errors import Forbidden
from server.services.core.paging import Page


def list_leads(
    session: Session, actor: User, *, status: str | None, page: int, page_size: int
) -> Page:
    """The leads of the actor's streets (all for an admin), newest first."""
    if actor.role not in {"supervisor", "admin"}:
        raise Forbidden("Only supervisors and admins see the lead queue.")
    stmt = select(Lead).where(scope.lead_filter(session, actor))
    if status is not None:
        stmt = stmt.where(Lead.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.order_by(Lead.received_at.desc(), Lead.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return Page(items=list(rows), total=total or 0, page=page, page_size=page_size)
