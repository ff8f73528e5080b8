"""Retention: remove push bookkeeping and tombstones no tablet can still need (issue 8 §5).

What goes, once older than the cutoff:

- ``device_mutation`` (the stored answer per mutation): a replay of a pruned mutation id at
  or below the tablet's mark is answered ``stale_mutation_id``, never acknowledged; the
  tablet renumbers it, and the re-sent record is recognised by its own UUID and
  ``payload_hash`` (``duplicate``, no second row), a household edit merges again against
  its ``base_version`` (same values: nothing changes; a newer server value: ``conflict``);
- ``idempotent_reply`` (the stored response per Idempotency-Key): a repeated request is
  then answered mutation by mutation, as above;
- ``tombstone`` (deleted members): the highest version removed is kept in
  ``sync_counter.pruned_through``, in the same transaction, and a pull cursor from before
  it is refused so the tablet pulls from the start (:func:`server.services.sync.pull.pull`).

What stays: every field record (returned or not: nothing here deletes a visit or an
interview), ``device_sync`` (one high-water mark per advisor and tablet — the very thing
that keeps a pruned id from being taken as new — and how far it pulled) and ended caseload
assignments (the history of who held a household; they are also a pull's "unassigned"
tombstones).

The functions flush and never commit. A big prune runs as many short transactions, one per
:func:`prune_batch`, so it never holds locks for long; each batch commits its deletions
together with the mark that covers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from server.models import DeviceMutation, IdempotentReply, SyncCounter, Tombstone
from server.services.sync.versioning import COUNTER_ID

# The tables in the order they are pruned, with the columns that identify a row.
TABLES = {
    "device_mutation": (
        DeviceMutation,
        (DeviceMutation.user_id, DeviceMutation.device_id, DeviceMutation.mutation_id),
    ),
    "idempotent_reply": (
        IdempotentReply,
        (IdempotentReply.user_id, IdempotentReply.device_id, IdempotentReply.key),
    ),
    "tombstone": (Tombstone, (Tombstone.id,)),
}


@dataclass
class PruneCounts:
    """Rows removed (or, in a dry run, that would be) per table, and the pull horizon."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    pruned_through: int = 0

    @property
    def total(self) -> int:
        """Rows over all tables."""
        return sum(self.rows.values())

    def add(self, other: PruneCounts) -> None:
        """Fold a later batch's counts into these."""
        for table, count in other.rows.items():
            self.rows[table] += count
        self.pruned_through = max(self.pruned_through, other.pruned_through)


def horizon(session: Session) -> int:
    """The highest tombstone version pruned so far (0 when nothing was)."""
    value = session.scalar(select(SyncCounter.pruned_through).where(SyncCounter.id == COUNTER_ID))
    return value or 0


def count_prunable(session: Session, *, before: datetime) -> PruneCounts:
    """What a prune with this cutoff would remove, changing nothing (``--dry-run``)."""
    counts = PruneCounts(pruned_through=horizon(session))
    for table, (model, _) in TABLES.items():
        counts.rows[table] = session.scalar(
            select(func.count()).select_from(model).where(model.at < before)
        )
    newest = session.scalar(select(func.max(Tombstone.version)).where(Tombstone.at < before))
    counts.pruned_through = max(counts.pruned_through, newest or 0)
    return counts


def prune_batch(session: Session, *, before: datetime, limit: int) -> PruneCounts:
    """Remove up to ``limit`` rows older than ``before`` from each table; returns counts.

    Tombstones go together with the raise of ``pruned_through`` to the highest version
    removed; the caller commits both at once. A batch with all zeros means done.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    counts = PruneCounts()
    for table, (model, key) in TABLES.items():
        if table == "tombstone":
            counts.rows[table], counts.pruned_through = _prune_tombstones(session, before, limit)
            continue
        oldest = select(*key).where(model.at < before).order_by(model.at).limit(limit)
        # The batch's keys are chosen in a subquery: one statement, no rows in Python.
        stmt = delete(model).where(tuple_(*key).in_(oldest))
        counts.rows[table] = session.execute(
            stmt, execution_options={"synchronize_session": False}
        ).rowcount
    session.flush()
    return counts


def _prune_tombstones(session: Session, before: datetime, limit: int) -> tuple[int, int]:
    """Delete one batch of old tombstones and raise the mark over them; (count, mark)."""
    batch = session.execute(
        select(Tombstone.id, Tombstone.version)
        .where(Tombstone.at < before)
        .order_by(Tombstone.version)
        .limit(limit)
    ).all()
    if not batch:
        return 0, horizon(session)
    session.execute(
        delete(Tombstone).where(Tombstone.id.in_([row.id for row in batch])),
        execution_options={"synchronize_session": False},
    )
    newest = max(row.version for row in batch)
    # Only ever raised: an older batch (a clock set back) must not reopen old cursors.
    session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == COUNTER_ID, SyncCounter.pruned_through < newest)
        .values(pruned_through=newest)
    )
    return len(batch), max(newest, horizon(session))
