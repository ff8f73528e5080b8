"""Applying a pull page: plain upserts in one executemany per table, the rest by the rules."""

from __future__ import annotations

import logging
from typing import Any

from sync.protocol import ENTITIES
from sync.store import repull, rows, state
from sync.store.tx import Tx

log = logging.getLogger(__name__)
# Ids per look-up query: well below SQLite's limit on bound parameters.
CHUNK = 500


def apply_pull_page(
    tx: Tx, changes: list[dict[str, Any]], cursor: str, last: bool
) -> dict[str, int]:
    """The page's changes, the bookkeeping of a pull from the start and the new cursor
    (:meth:`sync.store.SQLiteStore.apply_pull_page`); returns the counts."""
    counts = {**apply_page(tx, changes), "dropped": 0}
    if repull.active(tx):
        repull.note(tx, changes)
        if last:
            counts["dropped"] = repull.finish(tx)
            state.apply_deferred(tx)
    rows.write_state(tx.conn, "cursor", cursor)
    return counts


# An initial pull is thousands of records the store has never seen. Reading each one's row
# and writing it with its own statement cost more than the rest of the page; so the page's
# stored versions are read with one query per table, the records that are simply new or
# synced are written with one ``executemany`` per table, and anything else (a tombstone, a
# record with local work, an id twice in a page) goes through :mod:`sync.store.state` one
# by one — after the queued upserts are written, and for the rest of the page, so every
# rule sees the rows in the order the page gave them.
def apply_page(tx: Tx, changes: list[dict[str, Any]]) -> dict[str, int]:
    """Apply the page's changes; returns the counts ``applied``, ``ignored``, ``deleted``,
    ``deferred``, ``pruned``."""
    counts = dict.fromkeys(("applied", "ignored", "deleted", "deferred", "pruned"), 0)
    touched: set[str] = set()
    stored: dict[tuple, tuple] | None = _stored(tx, changes)
    queued, seen = _Upserts(tx), set()
    for change in changes:
        entity, record_id, version = rows.check_change(change)
        if entity not in ENTITIES:
            log.warning("ignoring pulled %s %s: unknown entity", entity, record_id)
            counts["ignored"] += 1
            continue
        if not change.get("deleted"):
            data = change["data"]
            touched.add(record_id if entity == "household" else data["household_id"])
        outcome = _fast(stored, seen, queued, change, entity, record_id, version)
        if outcome is None:
            queued.write()
            stored = None  # from here on the rows may differ from what was read
            outcome = _one_by_one(tx, change, entity, record_id, version)
        counts[outcome] += 1
    queued.write()
    counts["pruned"] = rows.prune_history(tx.conn, touched)
    state.apply_deferred(tx)
    return counts


def _stored(tx: Tx, changes: list[dict[str, Any]]) -> dict[tuple, tuple]:
    """(entity, id) → (version, local_state) of the page's records already stored."""
    wanted: dict[str, list[str]] = {}
    for change in changes:
        if change.get("entity") in ENTITIES and isinstance(change.get("id"), str):
            wanted.setdefault(change["entity"], []).append(change["id"])
    found = {}
    for entity, ids in wanted.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT id, version, local_state FROM {entity} WHERE id IN ({marks})"
            for record_id, version, local_state in tx.conn.execute(sql, chunk):
                found[(entity, record_id)] = (version, local_state)
    return found


class _Upserts:
    """Synced records queued for one executemany per table."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.revived: list[str] = []

    def add(self, entity: str, record_id: str, version: int, data: dict[str, Any]) -> None:
        columns = rows.record_columns(entity, record_id, data, data, version, "synced", self.tx.now)
        self.rows.setdefault(entity, []).append(columns)
        if entity == "household":
            # Back in the caseload (its bundle is sent again): the old tombstone is void.
            self.revived.append(record_id)

    def write(self) -> None:
        for entity, queued in self.rows.items():
            sql = rows.upsert_sql(entity, list(queued[0]))
            self.tx.conn.executemany(sql, [list(r.values()) for r in queued])
        rows.forget_tombstones(self.tx.conn, self.revived)
        self.rows, self.revived = {}, []


def _fast(stored, seen, queued: _Upserts, change, entity, record_id, version) -> str | None:
    """The outcome of a plain upsert (queued), or None when the change needs the rules."""
    key = (entity, record_id)
    if stored is None or change.get("deleted") or key in seen:
        return None
    seen.add(key)
    row = stored.get(key)
    if row is not None and version < (row[0] or 0):
        return "ignored"
    if row is not None and row[1] != "synced":
        return None
    queued.add(entity, record_id, version, change["data"])
    return "applied"


def _one_by_one(tx: Tx, change, entity, record_id, version) -> str:
    if change.get("deleted"):
        return state.apply_tombstone(tx, entity, record_id, version, change.get("reason"))
    return state.apply_change(tx, entity, record_id, version, change["data"])
