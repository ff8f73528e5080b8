"""Row locks in the one lock order (docs/architecture.md "Lock order")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")

# Tables in the order their rows are locked when one transaction locks several: households,
# then the records that name them (visits before interviews, as the push and bulk review
# take them), then any other table by name (docs/architecture.md "Lock order").
TABLE_ORDER = ("household", "visit", "interview")

# Each chunk is one statement; a bound on its parameters keeps it valid on SQLite too.
_CHUNK = 500


def locked(session: Session, model: type[T], ids: Iterable, *, where=None) -> dict:
    """Load rows of ``model`` by id, each locked until commit, in ascending id order.

    ``FOR NO KEY UPDATE`` (PostgreSQL) blocks other writers of the same row but not inserts
    that only reference it (a visit naming the household), so a row lock never queues the
    field work behind a console edit. Locking in id order is what keeps two transactions
    that lock overlapping sets from deadlocking. SQLite ignores the clause: its write
    transaction already holds the whole database. Returns ``{id: row}``; ids with no row
    (or excluded by ``where``) are absent.
    """
    wanted = sorted(set(ids))
    rows: dict = {}
    for start in range(0, len(wanted), _CHUNK):
        stmt = (
            select(model)
            .where(model.id.in_(wanted[start : start + _CHUNK]))
            .order_by(model.id)
            .with_for_update(key_share=True, of=model)
            # A row read earlier in this transaction is read again: what decides the
            # write must be what the lock protects, not the copy held from before.
            .execution_options(populate_existing=True)
        )
        if where is not None:
            stmt = stmt.where(where)
        rows.update((row.id, row) for row in session.scalars(stmt))
    return rows


def table_rank(model: type) -> tuple[int, str]:
    """Sort key putting tables in :data:`TABLE_ORDER`, the others after it by name."""
    name = model.__tablename__
    return (TABLE_ORDER.index(name) if name in TABLE_ORDER else len(TABLE_ORDER), name)
