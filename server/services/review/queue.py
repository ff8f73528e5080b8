"""The review queue: submitted and resubmitted field records in scope, urgent first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Text, cast, false, func, literal, select, union_all
from sqlalchemy.orm import Session

from server.models import Household, Interview, User, Visit
from server.services.core import scope
from server.services.core.errors import NotFound
from server.services.core.paging import Page
from server.services.review import history
from server.services.review.workflow import MODELS, REVIEWABLE


@dataclass(frozen=True)
class ReviewFilter:
    """What the queue may be narrowed by (None: no narrowing)."""

    community_id: int | None = None
    advisor_id: int | None = None
    finding: str | None = None
    situation: str | None = None
    urgent: bool = False


@dataclass(frozen=True)
class QueueItem:
    """One record waiting for review, with its household."""

    entity: str
    record: Visit | Interview
    household: Household


def _rows(session: Session, actor: User, entity: str, filters: ReviewFilter):
    model = MODELS[entity]
    at = Visit.visited_at if entity == "visit" else Interview.interviewed_at
    urgent = Visit.urgent if entity == "visit" else literal(False)
    stmt = (
        select(
            literal(entity).label("entity"),
            model.id.label("id"),
            urgent.label("urgent"),
            at.label("at"),
        )
        .join(Household, Household.id == model.household_id)
        .where(model.status.in_(sorted(REVIEWABLE)), scope.household_filter(session, actor))
    )
    if filters.community_id is not None:
        stmt = stmt.where(scope.area_condition(None, filters.community_id))
    if filters.advisor_id is not None:
        stmt = stmt.where(model.advisor_id == filters.advisor_id)
    if filters.finding:
        # findings is a JSON list of codes; the code is quoted inside it.
        stmt = stmt.where(cast(model.findings, Text).contains(f'"{filters.finding}"'))
    if filters.situation or filters.urgent:
        if entity == "interview":
            return stmt.where(false())
        if filters.situation:
            stmt = stmt.where(Visit.situation == filters.situation)
        if filters.urgent:
            stmt = stmt.where(Visit.urgent.is_(True))
    return stmt


def review_queue(
    session: Session, actor: User, filters: ReviewFilter, page: int, page_size: int
) -> Page:
    """Records waiting for review in the actor's scope: urgent (急难) first, then oldest."""
    scope.require_area(session, actor, filters.community_id, "community")
    both = union_all(*(_rows(session, actor, e, filters) for e in MODELS)).subquery("q")
    # The total rides on each row of the page (a window count): the records in scope are
    # found once, not once for the count and again for the page.
    rows = session.execute(
        select(both, func.count().over().label("total"))
        .order_by(both.c.urgent.desc(), both.c.at, both.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    if rows:
        total = rows[0].total
    elif page > 1:  # past the last page: no row to carry the total
        total = session.scalar(select(func.count()).select_from(both)) or 0
    else:
        total = 0
    # One statement per kind of record and one for their households, not two per row.
    records = {}
    for entity, model in MODELS.items():
        ids = [row.id for row in rows if row.entity == entity]
        if ids:
            records.update(
                ((entity, r.id), r) for r in session.scalars(select(model).where(model.id.in_(ids)))
            )
    homes = {r.household_id for r in records.values()}
    households = {}
    if homes:
        stmt = select(Household).where(Household.id.in_(homes))
        households = {h.id: h for h in session.scalars(stmt)}
    items = []
    for row in rows:
        record = records[(row.entity, row.id)]
        items.append(QueueItem(row.entity, record, households[record.household_id]))
    return Page(items=items, total=total, page=page, page_size=page_size)


@dataclass(frozen=True)
class ReviewDetail:
    """A record beside the household's previous visit (and what differs from it), with
    what its resubmission changed and its review thread."""

    entity: str
    record: Visit | Interview
    household: Household
    previous: Visit | None
    thread: list[history.ThreadEntry]
    changes: list[history.FieldChange]
    since_previous: list[history.FieldChange]


def review_detail(session: Session, actor: User, entity: str, record_id: uuid.UUID) -> ReviewDetail:
    """One record of the queue (404 if unknown or outside the actor's scope)."""
    model = MODELS.get(entity)
    record = None
    if model is not None:
        record = session.scalar(
            select(model)
            .join(Household, Household.id == model.household_id)
            .where(model.id == record_id, scope.household_filter(session, actor))
        )
    if record is None:
        raise NotFound("No such record, or it is outside your area.")
    household = session.get(Household, record.household_id)
    previous = None
    if entity == "visit":
        previous = session.scalar(
            select(Visit)
            .where(
                Visit.household_id == record.household_id,
                Visit.id != record.id,
                Visit.status != "draft",
                Visit.visited_at < record.visited_at,
            )
            .order_by(Visit.visited_at.desc())
            .limit(1)
        )
    trail = history.events(session, entity, record.id)
    return ReviewDetail(
        entity,
        record,
        household,
        previous,
        thread=history.thread(session, trail),
        changes=history.resubmission_changes(trail),
        since_previous=history.since_previous(record, previous) if previous else [],
    )
