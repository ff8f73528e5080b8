"""The warnings a supervisor works on (预警处置): filtered lists and the dashboard's counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from server.models import Household, User, Warning
from server.services.core import scope
from server.services.core.errors import Forbidden, Invalid
from server.services.core.paging import Page
from sync.enums import WarningKind, WarningLevel, WarningStatus

# Levels, most urgent first (the list's order).
LEVEL_ORDER = ("red", "orange", "yellow", "blue")
# Statuses in which somebody still has to act.
IN_HAND = ("open", "verifying")


@dataclass(frozen=True)
class WarningQuery:
    """What the list asks for: each filter a code (or empty for all)."""

    level: str = ""
    kind: str = ""
    status: str = ""
    overdue: bool = False


def check_query(query: WarningQuery) -> None:
    """Refuse an unknown code with a message on its filter field."""
    errors = {}
    for field, enum in (("level", WarningLevel), ("kind", WarningKind), ("status", WarningStatus)):
        value = getattr(query, field)
        if value and value not in enum.codes():
            errors[field] = ["Unknown value."]
    if errors:
        raise Invalid("The filter is not valid.", errors)


def overdue_for_action(now: datetime):
    """Warnings still in hand whose time to act has passed."""
    return and_(Warning.status.in_(IN_HAND), Warning.due_by < now)


def list_warnings(
    session: Session, actor: User, query: WarningQuery, *, now: datetime, page: int, page_size: int
) -> Page:
    """A page of the actor's warnings with their households: most urgent level first, then
    the earliest due. Items are ``(warning, household)``."""
    if actor.role not in {"supervisor", "admin"}:
        raise Forbidden("Only supervisors and admins work on warnings.")
    check_query(query)
    stmt = (
        select(Warning, Household)
        .join(Household, Household.id == Warning.household_id)
        .where(scope.warning_filter(session, actor))
    )
    for field in ("level", "kind", "status"):
        value = getattr(query, field)
        if value:
            stmt = stmt.where(getattr(Warning, field) == value)
    if query.overdue:
        stmt = stmt.where(overdue_for_action(now))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rank = case({level: n for n, level in enumerate(LEVEL_ORDER)}, value=Warning.level)
    rows = session.execute(
        stmt.order_by(rank, Warning.due_by, Warning.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return Page(items=[tuple(r) for r in rows], total=total or 0, page=page, page_size=page_size)


def counts(session: Session, actor: User, now: datetime) -> dict[str, int]:
    """The dashboard's figures: warnings raised (all time), in verification now, disposed
    by inclusion and by referral, and those overdue for action."""
    total = func.count()
    row = session.execute(
        select(
            total.label("raised"),
            func.count().filter(Warning.status == "verifying").label("verifying"),
            func.count().filter(Warning.disposal == "included").label("included"),
            func.count().filter(Warning.disposal == "referred").label("referred"),
            func.count().filter(overdue_for_action(now)).label("overdue"),
        ).where(scope.warning_filter(session, actor))
    ).one()
    return dict(row._mapping)
