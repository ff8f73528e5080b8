"""The review workflow of field records: return with a comment, or approve (DESIGN §6)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Household, Interview, User, Visit
from server.services.core import audit, scope
from server.services.core.errors import Conflict, NotFound

MODELS = {"visit": Visit, "interview": Interview}
REVIEWABLE = {"submitted", "resubmitted"}


def _reviewable(session: Session, actor: User, entity: str, record_id: uuid.UUID):
    model = MODELS[entity]
    stmt = (
        select(model)
        .join(Household, Household.id == model.household_id)
        .where(model.id == record_id, scope.household_filter(session, actor))
        .with_for_update(of=model)
    )
    record = session.scalar(stmt)
    if record is None:
        raise NotFound(f"No such {entity}, or it is outside your area.")
    if record.status not in REVIEWABLE:
        raise Conflict(
            f"Only submitted records can be reviewed; this one is {record.status}.",
            {"status": [f"Is {record.status}."]},
        )
    return record


def return_record(
    session: Session, *, actor: User, entity: str, record_id: uuid.UUID, comment: str, now: datetime
):
    """Send a record back to its advisor with a comment; it reaches the tablet on its next
    pull and may be corrected there."""
    record = _reviewable(session, actor, entity, record_id)
    old = record.status
    record.status, record.review_comment = "returned", comment
    audit.record(
        session,
        actor=actor,
        action="return",
        entity=entity,
        entity_id=record.id,
        now=now,
        diff={"status": [old, "returned"], "review_comment": [None, comment]},
    )
    return record


def approve_record(
    session: Session, *, actor: User, entity: str, record_id: uuid.UUID, now: datetime
):
    """Approve a record: it is locked from now on (a correction is a new record)."""
    record = _reviewable(session, actor, entity, record_id)
    return approve_loaded(session, actor=actor, entity=entity, record=record, now=now)


def approve_loaded(
    session: Session, *, actor: User, entity: str, record, now: datetime, batch: str | None = None
):
    """Approve a record already loaded for update and checked reviewable (one approval's
    change and audit event; ``batch`` names the bulk approval it was part of)."""
    old = record.status
    record.status = "approved"
    diff = {"status": [old, "approved"]}
    if batch is not None:
        diff["batch"] = [None, batch]
    audit.record(
        session,
        actor=actor,
        action="approve",
        entity=entity,
        entity_id=record.id,
        now=now,
        diff=diff,
    )
    return record
