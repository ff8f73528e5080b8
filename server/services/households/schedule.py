"""Visit schedule services: the policy, each household's cycle, due lists and summaries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from server.models import Area, Household, SchedulePolicy, User
from server.services.core import audit, scope
from server.services.core.paging import Page
from server.services.households import due
from sync.policy import (
    DEFAULT_POLICY,
    HouseholdFacts,
    Member,
    Override,
    Policy,
    cycle_for,
    dump_policy,
    load_policy,
)
from sync.schedule import ScheduleStatus, explain

POLICY_ID = 1


def get_policy(session: Session) -> Policy:
    """The policy in force (the built-in default until an admin saves one)."""
    row = session.get(SchedulePolicy, POLICY_ID)
    return load_policy(row.data) if row else DEFAULT_POLICY


def facts_of(household: Household) -> HouseholdFacts:
    """What the policy looks at, read from a household and its members."""
    return HouseholdFacts(
        hardship_level=household.hardship_level,
        categories=frozenset(household.categories or ()),
        members=tuple(Member(p.health, p.labour_capacity) for p in household.persons),
        override=Override.from_stored(household.cycle_override),
    )


def refresh_cycle(
    session: Session,
    *,
    household: Household,
    policy: Policy,
    today: date,
    actor: User | None,
    now: datetime,
    restart: bool = True,
) -> bool:
    """Set ``visit_cycle`` from the policy; on a change, audit it (and restart the count).

    A change of the household's facts applies from the current period: ``cycle_since``
    becomes ``today`` so earlier periods are not held against the household under its new
    cycle. A change of the policy (``restart`` False) never rewrites history: the cycle
    start stays, so saving a policy that ends up as it was changes no due state. Returns
    whether the cycle changed.
    """
    cycle, reason = cycle_for(facts_of(household), policy, today)
    if household.visit_cycle == cycle.value:
        return False
    old = household.visit_cycle
    household.visit_cycle = cycle.value
    # A brand-new household's first cycle runs from its enrolment.
    if not old:
        household.cycle_since = household.enrolled_on
    elif restart:
        household.cycle_since = today
    audit.record(
        session,
        actor=actor,
        action="cycle_change",
        entity="household",
        entity_id=household.id,
        now=now,
        diff={"visit_cycle": [old, cycle.value], "reason": [None, reason]},
    )
    return True


def save_policy(
    session: Session, *, actor: User, policy: Policy, today: date, now: datetime
) -> tuple[Policy, int]:
    """Store a new (validated) policy and bring every household's cycle in line with it.

    Returns the policy and how many households changed cycle (all in the caller's unit).
    """
    row = session.get(SchedulePolicy, POLICY_ID)
    old = row.data if row else dump_policy(DEFAULT_POLICY)
    if row is None:
        row = SchedulePolicy(id=POLICY_ID, data={})
        session.add(row)
    row.data, row.updated_at, row.updated_by_id = dump_policy(policy), now, actor.id
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="schedule_policy",
        entity_id=POLICY_ID,
        now=now,
        diff={"policy": [old, row.data]},
    )
    # The cycle starts stay (restart=False): a policy edit changes only what is due from now.
    changed = refresh_all(session, policy=policy, today=today, actor=actor, now=now, restart=False)
    return policy, changed


def active_batches(session: Session, batch: int = 1000):
    """Every active household with its members, ``batch`` at a time in id order."""
    last_id: uuid.UUID | None = None
    while True:
        stmt = (
            select(Household)
            .where(Household.status == "active")
            .options(selectinload(Household.persons))
            .order_by(Household.id)
            .limit(batch)
        )
        if last_id is not None:
            stmt = stmt.where(Household.id > last_id)
        rows = session.scalars(stmt).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def refresh_all(
    session: Session,
    *,
    policy: Policy,
    today: date,
    actor: User | None,
    now: datetime,
    batch: int = 1000,
    restart: bool = True,
) -> int:
    """Recompute the cycle of every active household (policy change, nightly expiry run);
    ``restart`` as in :func:`refresh_cycle`."""
    changed = 0
    for rows in active_batches(session, batch):
        for household in rows:
            changed += refresh_cycle(
                session,
                household=household,
                policy=policy,
                today=today,
                actor=actor,
                now=now,
                restart=restart,
            )
        session.flush()
    return changed


@dataclass(frozen=True)
class DueQuery:
    """What a due list asks for; ``on`` is a local date (today by default)."""

    on: date
    street_id: int | None = None
    community_id: int | None = None
    advisor_id: int | None = None
    states: frozenset[str] = frozenset()


def _where(session: Session, actor: User, query: DueQuery):
    scope.require_area(session, actor, query.street_id, "street")
    scope.require_area(session, actor, query.community_id, "community")
    condition = and_(
        scope.household_filter(session, actor),
        Household.status == "active",
        scope.area_condition(query.street_id, query.community_id),
    )
    if query.advisor_id is not None:
        condition = and_(condition, Household.assigned_advisor_id == query.advisor_id)
    return condition


@dataclass(frozen=True)
class DueItem:
    """A household on the due list with its status and the sentence explaining it."""

    household: Household
    status: ScheduleStatus
    reason: str


def due_list(
    session: Session,
    actor: User,
    query: DueQuery,
    *,
    tz: str,
    page: int,
    page_size: int,
    lang: str = "zh",
) -> Page:
    """A page of the due list: overdue first (most missed first), then fewest days left."""
    clock = due.Clock.at(query.on, tz)
    stmt = due.order_and_filter(
        due.status_query(clock, _where(session, actor, query)), set(query.states)
    )
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    homes = {
        h.id: h
        for h in session.scalars(select(Household).where(Household.id.in_([r.hid for r in rows])))
    }
    items = []
    for row in rows:
        household = homes[row.hid]
        st = due.to_status(clock, household.visit_cycle, row)
        items.append(DueItem(household, st, explain(st, lang)))
    return Page(items=items, total=total or 0, page=page, page_size=page_size)


def summary(session: Session, actor: User, query: DueQuery, *, tz: str) -> dict:
    """Counts per state for each community and the current period's completion rate."""
    clock = due.Clock.at(query.on, tz)
    rows = session.execute(due.summary_query(clock, _where(session, actor, query))).all()
    names = dict(
        session.execute(
            select(Area.id, Area.name).where(Area.id.in_({r.residence_community_id for r in rows}))
        ).all()
    )
    communities: dict[int, dict] = {}
    for community_id, state, n in rows:
        entry = communities.setdefault(
            community_id,
            {
                "community_id": community_id,
                "community": names.get(community_id, ""),
                "done": 0,
                "due": 0,
                "overdue": 0,
                "new": 0,
                "total": 0,
            },
        )
        entry[state] += n
        entry["total"] += n
    items = sorted(communities.values(), key=lambda e: e["community"])
    for entry in items:
        entry["completion_rate"] = _rate(entry["done"], entry["total"])
    totals = {k: sum(e[k] for e in items) for k in ("done", "due", "overdue", "new", "total")}
    return {
        "on": query.on,
        "communities": items,
        **totals,
        "completion_rate": _rate(totals["done"], totals["total"]),
    }


def _rate(done: int, total: int) -> float:
    # A share for a chart, not money: a float rounded to 4 places is right here.
    return round(done / total, 4) if total else 0.0


def local_today(tz: str, now: datetime) -> date:
    """The local date in ``tz`` at instant ``now``."""
    return now.astimezone(ZoneInfo(tz)).date()
