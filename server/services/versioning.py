"""The one place that stamps commit-ordered versions on synced rows (DESIGN §5).

Every transaction that writes a :class:`~server.models.base.Versioned` row advances the
single ``sync_counter`` row once, just before it commits, by the number of rows it wrote,
and gives each row its own number from that range. The counter's row lock is held until
commit, so a reader can never see version N+1 while N is still uncommitted: version order
is commit order, which is what makes a pull cursor safe.

The hooks are on SQLAlchemy's ``Session`` class, so every write path (API, console, CLI,
importers, tests) is covered without calling anything.
"""

from __future__ import annotations

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from server.models.audit import SyncCounter
from server.models.base import Versioned

COUNTER_ID = 1
_KEY = "tanfang_versioned_written"


def _written(session: Session) -> dict[int, Versioned]:
    # Keyed by id() and kept in insertion order so numbering follows the order of writes.
    return session.info.setdefault(_KEY, {})


def _pending_versioned(session: Session):
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Versioned) and (obj in session.new or session.is_modified(obj)):
            yield obj


@event.listens_for(Session, "before_flush")
def _track(session: Session, flush_context, instances) -> None:
    """Remember each versioned row this transaction writes (flushes may happen early)."""
    written = _written(session)
    for obj in _pending_versioned(session):
        written.setdefault(id(obj), obj)


@event.listens_for(Session, "before_commit")
def _stamp(session: Session) -> None:
    """Take a range from the counter and stamp every row written in this transaction."""
    if session.in_nested_transaction():
        # A savepoint is being released: the rows are stamped when the real commit comes.
        return
    written = _written(session)
    for obj in _pending_versioned(session):
        written.setdefault(id(obj), obj)
    # Rows from a rolled-back savepoint are no longer in the session: nothing to stamp.
    rows = [o for o in written.values() if _still_written(session, o)]
    written.clear()
    if not rows:
        return
    top = next_versions(session, len(rows))
    for offset, obj in enumerate(rows):
        obj.version = top - len(rows) + 1 + offset


def _still_written(session: Session, obj: Versioned) -> bool:
    state = inspect(obj)
    return state.session is session and not state.deleted and not state.was_deleted


def next_versions(session: Session, count: int) -> int:
    """Advance the counter by ``count`` and return its new value (the last number taken).

    Callers writing rows with Core (bulk loaders) use this to number them; the counter's
    row lock is then held until their transaction ends.
    """
    stmt = (
        update(SyncCounter)
        .where(SyncCounter.id == COUNTER_ID)
        .values(value=SyncCounter.value + count)
        .returning(SyncCounter.value)
    )
    return session.execute(stmt).scalar_one()


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    """When the outermost transaction ends (commit or rollback), start the next afresh."""
    if transaction.parent is None:
        _written(session).clear()
