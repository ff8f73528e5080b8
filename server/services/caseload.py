"""Caseload assignment: which advisor holds a household, with its history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import CaseloadAssignment, Household, User
from server.services import audit


def assign(
    session: Session,
    *,
    household: Household,
    advisor_id: int | None,
    actor: User | None,
    now: datetime,
) -> bool:
    """Give the household to ``advisor_id`` (None: to nobody); returns whether it changed.

    The previous holder's assignment is ended (its tablet gets a tombstone on the next
    pull) and a new one opened (the new holder's tablet gets the whole bundle).
    """
    if household.assigned_advisor_id == advisor_id and advisor_id is not None:
        return False
    open_rows = session.scalars(
        select(CaseloadAssignment).where(
            CaseloadAssignment.household_id == household.id, CaseloadAssignment.ended_at.is_(None)
        )
    )
    for row in open_rows:
        if row.advisor_id != advisor_id:
            row.ended_at = now
    old = household.assigned_advisor_id
    household.assigned_advisor_id = advisor_id
    if advisor_id is not None:
        session.add(
            CaseloadAssignment(
                id=uuid.uuid4(),
                household_id=household.id,
                advisor_id=advisor_id,
                assigned_at=now,
                assigned_by_id=actor.id if actor else None,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="assign",
        entity="household",
        entity_id=household.id,
        now=now,
        diff={"assigned_advisor_id": [old, advisor_id]},
    )
    return old != advisor_id
