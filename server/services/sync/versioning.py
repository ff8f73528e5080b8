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

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session, scoped_session

from server.models.audit import SyncCounter
from server.models.base import Versioned
from server.services.core import locks

COUNTER_ID = 1
# Ids per ``IN (…)`` when locking the rows to stamp (SQLite's parameter limit).
_CHUNK = 500
_KEY = "tanfang_versioned_written"


def _written(session: Session) -> dict[int, Versioned]:
    # Keyed by id() and kept in insertion order so numbering follows the order of writes.
    return session.info.setdefault(_KEY, {})


# Setting these is the stamping itself, not a change to be versioned again.
_BOOKKEEPING = frozenset({"version", "field_versions"})
_MERGE_KEY = "tanfang_merge_fields"
_TOMBSTONED_KEY = "tanfang_tombstoned"


def _changed_keys(obj: Versioned) -> set[str]:
    state = inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()} - _BOOKKEEPING


def _pending_versioned(session: Session):
    # session.new builds a fresh set on every access: take it once (a push adds thousands).
    for obj in session.new:
        if isinstance(obj, Versioned):
            yield obj
    for obj in session.dirty:
        if isinstance(obj, Versioned) and _changed_keys(obj):
            yield obj


def _note_merge_fields(session: Session, obj: Versioned) -> None:
    """Remember which per-field-merged fields (``__merge_fields__``) the write touched."""
    fields = getattr(obj, "__merge_fields__", None)
    if not fields or inspect(obj).pending:
        return
    changed = _changed_keys(obj)
    touched = {name for name, columns in fields.items() if changed & set(columns)}
    if touched:
        session.info.setdefault(_MERGE_KEY, {}).setdefault(id(obj), set()).update(touched)


def _track_pending(session: Session) -> None:
    written = _written(session)
    for obj in _pending_versioned(session):
        written.setdefault(id(obj), obj)
        _note_merge_fields(session, obj)


def _leave_tombstones(session: Session) -> None:
    """A deleted synced row leaves a tombstone, so pulls can tell tablets to drop it."""
    from server.models.sync import Tombstone

    done = session.info.setdefault(_TOMBSTONED_KEY, set())
    for obj in list(session.deleted):
        if getattr(obj, "__tombstone__", None) and id(obj) not in done:
            done.add(id(obj))
            session.add(
                Tombstone(
                    entity=obj.__tombstone__,
                    entity_id=obj.id,
                    household_id=getattr(obj, "household_id", None),
                )
            )


@event.listens_for(Session, "before_flush")
def _track(session: Session, flush_context, instances) -> None:
    """Remember each versioned row this transaction writes (flushes may happen early)."""
    _leave_tombstones(session)
    _track_pending(session)


@event.listens_for(Session, "before_commit")
def _stamp_at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint is being released: the rows are stamped when the real commit comes.
        return
    stamp(session)


def stamp(session: Session) -> None:
    """Take a range from the counter and stamp every row written so far in this transaction.

    Runs at commit by itself; call it earlier only when the new versions must be known
    before committing (a push answers each mutation with its version). The counter row
    stays locked from here to the commit.
    """
    if isinstance(session, scoped_session):
        session = session()  # the registry's Session: rows are compared by their session
    _leave_tombstones(session)
    _track_pending(session)
    written = _written(session)
    merged = session.info.pop(_MERGE_KEY, {})
    # Rows from a rolled-back savepoint are no longer in the session: nothing to stamp.
    rows = [o for o in written.values() if _still_written(session, o)]
    written.clear()
    if not rows:
        return
    # Without flushing first: rows still pending are then inserted with their version,
    # written once instead of inserted and then updated.
    with session.no_autoflush:
        committed = _lock_existing(session, rows)
        top = next_versions(session, len(rows))
    for offset, obj in enumerate(rows):
        obj.version = top - len(rows) + 1 + offset
        if id(obj) in merged:
            # Per key onto the row's field_versions as locked now, never the whole dict
            # of an earlier read: a key another writer stamped meanwhile is kept.
            base = committed.get(id(obj), obj.field_versions)
            obj.field_versions = {
                **(base or {}),
                **dict.fromkeys(sorted(merged[id(obj)]), obj.version),
            }
    session.flush()
    # That flush saw the stamped rows' own changes again: they are numbered already.
    written.clear()
    session.info.pop(_MERGE_KEY, None)


def _lock_existing(session: Session, rows: list[Versioned]) -> dict[int, dict]:
    """Lock the stored rows about to be stamped, so the counter is the last lock taken.

    Without this, the flush after numbering would lock a changed row only after the
    counter — the reverse of a writer that locked its row first and then commits (a
    deadlock). Tables go in :func:`locks.table_rank` order, each in ascending id (the one
    lock order); rows the caller locked already cost nothing more. Returns the committed
    ``field_versions`` of the rows merged per field, keyed by ``id(obj)``.
    """
    by_model: dict[type, dict] = {}
    for obj in rows:
        if inspect(obj).persistent:
            by_model.setdefault(type(obj), {})[obj.id] = obj
    committed: dict[int, dict] = {}
    for model in sorted(by_model, key=locks.table_rank):
        objs = by_model[model]
        merged = hasattr(model, "__merge_fields__")
        columns = (model.id, model.field_versions) if merged else (model.id,)
        ids = sorted(objs)
        for start in range(0, len(ids), _CHUNK):
            stmt = (
                select(*columns)
                .where(model.id.in_(ids[start : start + _CHUNK]))
                .order_by(model.id)
                .with_for_update(key_share=True, of=model)
            )
            for row in session.execute(stmt):
                if merged:
                    committed[id(objs[row.id])] = row.field_versions
    return committed


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
        session.info.pop(_MERGE_KEY, None)
        session.info.pop(_TOMBSTONED_KEY, None)
