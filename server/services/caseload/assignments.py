"""Caseload assignment: which advisor holds a household, with its history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import CaseloadAssignment, Household, User
from server.services.core import audit, scope
from server.services.core.constraints import broke, flushed
from server.services.core.errors import Conflict, Invalid

# Households per ``IN (…)`` when ending open assignments (SQLite's parameter limit).
_CHUNK = 900


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
    old = household.assigned_advisor_id
    assign_many(session, households=[household], advisor_id=advisor_id, actor=actor, now=now)
    return old != advisor_id


def assign_many(
    session: Session,
    *,
    households: Sequence[Household],
    advisor_id: int | None,
    actor: User | None,
    now: datetime,
) -> list[Household]:
    """:func:`assign` for many households at once, set-wise: one query ends the open
    assignments of them all (a street's 7,000 households must not cost a query each).

    Households already held by ``advisor_id`` are left alone; returns those that moved.
    The caller holds the households' row locks (what they are held by decides the change);
    should one still have gained an open assignment meanwhile, the database's one-open-
    assignment index refuses it, answered as :class:`Conflict`.
    """
    moving = [
        h
        for h in households
        if not (h.assigned_advisor_id == advisor_id and advisor_id is not None)
    ]
    ids = [h.id for h in moving]
    open_rows = []
    # A household enrolled in this transaction is inserted before its assignment (they
    # have no ORM relationship to order them); then every open row is read before any
    # changes, so no chunk's query autoflushes (each flush walks the session's objects).
    session.flush()
    with session.no_autoflush:
        for start in range(0, len(ids), _CHUNK):
            open_rows.extend(
                session.scalars(
                    select(CaseloadAssignment).where(
                        CaseloadAssignment.household_id.in_(ids[start : start + _CHUNK]),
                        CaseloadAssignment.ended_at.is_(None),
                    )
                )
            )
    for row in open_rows:
        if row.advisor_id != advisor_id:
            row.ended_at = now
    try:
        with flushed(session):
            _open(session, moving, advisor_id, actor, now)
    except IntegrityError as error:
        if not broke(error, "ux_caseload_assignment_open", "caseload_assignment", "household_id"):
            raise
        raise Conflict(
            "The household was reassigned by someone else at the same time.",
            {"assigned_advisor_id": ["Reassigned meanwhile; reload and try again."]},
        ) from error
    return moving


def _open(session: Session, moving, advisor_id: int | None, actor: User | None, now) -> None:
    """Move each household to ``advisor_id``: open its assignment, record the change."""
    for household in moving:
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


def check_advisor(session: Session, advisor_id: int | None, streets: set[int]) -> None:
    """The assignee is an active advisor working in one of the household's ``streets``
    (registration or residence: either visits a 人户分离 household)."""
    if advisor_id is None:
        return
    advisor = session.get(User, advisor_id)
    if advisor is None or advisor.role != "advisor" or not advisor.active:
        raise Invalid("No such advisor.", {"assigned_advisor_id": ["No such advisor."]})
    if not scope.street_ids(session, advisor) & streets:
        # Otherwise a supervisor could hand a household to another street's advisor, and
        # that street would see it.
        raise Invalid(
            "The advisor does not work in the household's streets.",
            {"assigned_advisor_id": ["Not an advisor of the registration or residence street."]},
        )
