"""What saving a schedule policy would change, before it is saved: how many households
change cycle and how many become due or overdue (or leave the overdue list)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Household, Visit
from server.services.households.schedule import active_batches, facts_of
from sync.policy import Policy, cycle_for
from sync.schedule import State, completed_days, status

_CHUNK = 500


@dataclass(frozen=True)
class PolicyPreview:
    """The counts the editor shows before saving (nothing is written to compute them)."""

    changed: int = 0
    to_due: int = 0
    to_overdue: int = 0
    from_overdue: int = 0


def _visit_days(session: Session, ids: list[uuid.UUID], tz: str) -> dict[uuid.UUID, list[date]]:
    visits: dict[uuid.UUID, list] = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(Visit.household_id, Visit.visited_at, Visit.outcome, Visit.status).where(
            Visit.household_id.in_(ids[start : start + _CHUNK])
        )
        for household_id, *visit in session.execute(stmt):
            visits[household_id].append(tuple(visit))
    return {i: completed_days(v, tz) for i, v in visits.items()}


def preview(session: Session, *, policy: Policy, today: date, tz: str) -> PolicyPreview:
    """The effect of saving ``policy`` on ``today``, as :func:`schedule.save_policy` would
    apply it: the same cycles, and cycle starts that stay where they are."""
    moved: list[tuple[Household, str]] = []
    for rows in active_batches(session):
        for household in rows:
            cycle, _reason = cycle_for(facts_of(household), policy, today)
            if household.visit_cycle and cycle.value != household.visit_cycle:
                moved.append((household, cycle.value))
    days = _visit_days(session, [h.id for h, _ in moved], tz)
    counts = dict.fromkeys(("to_due", "to_overdue", "from_overdue"), 0)
    for household, cycle in moved:
        if household.enrolled_on > today:
            continue  # no status yet, under either cycle
        since = household.cycle_since
        before = status(
            household.visit_cycle,
            days[household.id],
            household.enrolled_on,
            today,
            cycle_since=since,
        ).state
        after = status(
            cycle, days[household.id], household.enrolled_on, today, cycle_since=since
        ).state
        counts["to_due"] += after == State.DUE and before != State.DUE
        counts["to_overdue"] += after == State.OVERDUE and before != State.OVERDUE
        counts["from_overdue"] += before == State.OVERDUE and after != State.OVERDUE
    return PolicyPreview(changed=len(moved), **counts)
