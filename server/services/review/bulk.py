"""Bulk approval from the review queue: plain records only, all or nothing (DESIGN §6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Household, Interview, User, Visit
from server.services.core import audit, scope
from server.services.core.errors import Invalid
from server.services.review import workflow

# One approval covers at most this many records (two queue pages): a longer list is a
# crafted request, and a lock on thousands of rows is not what a supervisor meant.
MAX_SELECTION = 100

# Why a record may not be approved in bulk; the console words each one.
URGENT, FINDINGS, SITUATION, NOT_IN_QUEUE = "urgent", "findings", "situation", "not_in_queue"


@dataclass(frozen=True)
class Refused:
    """One selected record bulk approval refused: ``key`` as it was sent, the record and
    its household when the actor may see them (None for ``not_in_queue``), the reasons."""

    key: str
    record: Visit | Interview | None
    household: Household | None
    reasons: tuple[str, ...]


class BulkRefused(Invalid):
    """Some selected records may not be bulk approved; none was approved."""

    def __init__(self, refused: list[Refused]):
        super().__init__(
            f"{len(refused)} of the selected records cannot be approved in bulk; none was.",
            {"record": [f"{r.key}: {', '.join(r.reasons)}" for r in refused]},
        )
        self.refused = refused


def reasons(entity: str, record: Visit | Interview) -> tuple[str, ...]:
    """What keeps ``record`` from bulk approval (empty: it may be approved in bulk): an
    urgent flag, any finding, or one of the 四种情形 — each needs a supervisor's reading."""
    found = []
    if entity == "visit" and record.urgent:
        found.append(URGENT)
    if record.findings:
        found.append(FINDINGS)
    if entity == "visit" and record.situation not in (None, "none"):
        found.append(SITUATION)
    return tuple(found)


def parse_key(key: str) -> tuple[str, uuid.UUID] | None:
    """``"visit:<uuid>"`` → ("visit", UUID); None when it is not one."""
    entity, _, raw = key.partition(":")
    if entity not in workflow.MODELS:
        return None
    try:
        return entity, uuid.UUID(raw)
    except ValueError:
        return None


def _load(session: Session, actor: User, wanted: dict[str, tuple[str, uuid.UUID]]):
    """The selected records in the actor's scope, locked, by key; households by id."""
    found: dict[str, tuple[Visit | Interview, Household]] = {}
    for entity, model in workflow.MODELS.items():
        ids = [rid for e, rid in wanted.values() if e == entity]
        if not ids:
            continue
        rows = session.execute(
            select(model, Household)
            .join(Household, Household.id == model.household_id)
            .where(model.id.in_(ids), scope.household_filter(session, actor))
            .order_by(model.id)  # ascending: the one lock order (docs/architecture.md)
            .with_for_update(of=model)
        ).all()
        for record, household in rows:
            found[f"{entity}:{record.id}"] = (record, household)
    return found


def bulk_approve(
    session: Session, *, actor: User, keys: list[str], now: datetime
) -> list[Visit | Interview]:
    """Approve every record of ``keys`` (``"visit:<uuid>"``/``"interview:<uuid>"``) or none.

    Each approval is a normal one (its status, its ``approve`` audit event naming the
    batch, reaching the tablet on its next pull); one ``bulk_approve`` event lists them
    all. Raises :class:`Invalid` for an empty or oversized selection and
    :class:`BulkRefused` when any record is not plain or not waiting for review in the
    actor's area (unknown, out of scope and already reviewed read alike)."""
    unique = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    if not unique:
        raise Invalid("Select at least one record.", {"record": ["Select at least one record."]})
    if len(unique) > MAX_SELECTION:
        message = f"Select at most {MAX_SELECTION} records at a time."
        raise Invalid(message, {"record": [message]})
    parsed = {k: p for k in unique if (p := parse_key(k)) is not None}
    # The canonical key: a UUID spelled in capitals still names the same record.
    canonical = {k: f"{e}:{rid}" for k, (e, rid) in parsed.items()}
    found = _load(session, actor, parsed)
    refused, approvable, seen = [], [], set()
    for key in unique:
        if key in canonical and canonical[key] in seen:
            continue  # the same record twice, spelt differently
        seen.add(canonical.get(key))
        hit = found.get(canonical.get(key, ""))
        if hit is None or hit[0].status not in workflow.REVIEWABLE:
            refused.append(Refused(key, None, None, (NOT_IN_QUEUE,)))
            continue
        record, household = hit
        entity = canonical[key].partition(":")[0]
        why = reasons(entity, record)
        if why:
            refused.append(Refused(key, record, household, why))
        else:
            approvable.append((entity, record))
    if refused:
        raise BulkRefused(refused)
    batch = str(uuid.uuid4())
    for entity, record in approvable:
        workflow.approve_loaded(
            session, actor=actor, entity=entity, record=record, now=now, batch=batch
        )
    audit.record(
        session,
        actor=actor,
        action="bulk_approve",
        entity="review_batch",
        entity_id=batch,
        now=now,
        diff={"records": [None, [f"{e}:{r.id}" for e, r in approvable]]},
    )
    session.flush()
    return [r for _, r in approvable]
