"""Push: which function applies a mutation, by entity and operation (one table)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.services.core.push_types import Pusher, Refusal
from server.services.leads import intake
from server.services.sync import apply
from server.services.sync.apply import Known
from server.services.sync.bulk import Bulk

Handler = Callable[[Session, Pusher, dict, datetime, Known, Bulk], tuple[Any, dict]]


def _lead(session: Session, pusher: Pusher, mutation: dict, now: datetime, *_batch) -> tuple:
    """A lead is written alone: it needs neither the batch's known ids nor its bulk insert."""
    return intake.upsert_lead(session, pusher, mutation, now)


# (entity, op) → the handler. A new pushed entity (attachments, platform tasks) is a line here.
HANDLERS: dict[tuple[str, str], Handler] = {
    ("visit", "upsert"): apply.upsert_record,
    ("interview", "upsert"): apply.upsert_record,
    ("household", "update"): apply.update_household,
    ("lead", "upsert"): _lead,
}


def apply_mutation(
    session: Session, pusher: Pusher, mutation: dict, now: datetime, known: Known, bulk: Bulk
) -> tuple[Any, dict]:
    """Apply one mutation; returns the row it wrote (a new record is queued in ``bulk``, to
    be inserted with the batch) and what its answer adds (a household edit in conflict
    answers ``conflict``). Raises :class:`Refusal` for anything refused."""
    entity, op = mutation["entity"], mutation["op"]
    handler = HANDLERS.get((entity, op))
    if handler is None:
        raise Refusal(
            "unknown_entity",
            f"Cannot {op} a {entity}.",
            {"entity": [f"Unknown entity/op {entity}/{op}."]},
        )
    return handler(session, pusher, mutation, now, known, bulk)
