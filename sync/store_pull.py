"""Applying a pull page to the tablet store: plain upserts in one executemany per table.

An initial pull is thousands of records the store has never seen. Reading each one's row
and writing it with its own statement cost more than the rest of the page; here the page's
stored versions are read with one query per table, the records that are simply new or
synced are written with one ``executemany`` per table, and anything else (a tombstone, a
record with local work, an id twice in a page) goes through :mod:`sync.store_state` one by
one — after the queued upserts are written, and for the rest of the page, so every rule
sees the rows in the order the page gave them. It runs inside the caller's transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from sync import store_rows, store_state
from sync.protocol import ENTITIES

log = logging.getLogger(__name__)
# Ids per look-up query: well below SQLite's limit on bound parameters.
CHUNK = 500


def _stored(conn: sqlite3.Connection, changes: list[dict[str, Any]]) -> dict[tuple, tuple]:
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
            for record_id, version, state in conn.execute(sql, chunk):
                found[(entity, record_id)] = (version, state)
    return found


class _Upserts:
    """Synced records queued for one executemany per table."""

    def __init__(self, conn: sqlite3.Connection, now: str):
        self.conn, self.now = conn, now
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.revived: list[tuple[str]] = []

    def add(self, entity: str, record_id: str, version: int, data: dict[str, Any]) -> None:
        columns = store_rows.record_columns(
            entity, record_id, data, data, version, "synced", self.now
        )
        self.rows.setdefault(entity, []).append(columns)
        if entity == "household":
            # Back in the caseload (its bundle is sent again): the old tombstone is void.
            self.revived.append((record_id,))

    def write(self) -> None:
        for entity, rows in self.rows.items():
            sql = store_rows.upsert_sql(entity, list(rows[0]))
            self.conn.executemany(sql, [list(r.values()) for r in rows])
        if self.revived:
            self.conn.executemany(
                "DELETE FROM deferred_tombstone WHERE entity = 'household' AND id = ?",
                self.revived,
            )
        self.rows, self.revived = {}, []


def apply_page(conn: sqlite3.Connection, changes: list[dict[str, Any]], now: str) -> dict[str, int]:
    """Apply the page's changes (see :meth:`sync.store.SQLiteStore.apply_pull_page`);
    returns the counts ``applied``, ``ignored``, ``deleted``, ``deferred``, ``pruned``."""
    counts = dict.fromkeys(("applied", "ignored", "deleted", "deferred", "pruned"), 0)
    touched: set[str] = set()
    stored: dict[tuple, tuple] | None = _stored(conn, changes)
    queued, seen = _Upserts(conn, now), set()
    for change in changes:
        entity, record_id, version = store_rows.check_change(change)
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
            outcome = _one_by_one(conn, change, entity, record_id, version, now)
        counts[outcome] += 1
    queued.write()
    counts["pruned"] = store_rows.prune_history(conn, touched)
    store_state.apply_deferred(conn)
    return counts


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


def _one_by_one(conn, change, entity, record_id, version, now) -> str:
    if change.get("deleted"):
        reason = change.get("reason")
        return store_state.apply_tombstone(conn, entity, record_id, version, reason, now)
    return store_state.apply_change(conn, entity, record_id, version, change["data"], now)
