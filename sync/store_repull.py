"""The tablet store's pull from the start, after the server refused its cursor (retention).

A server prunes old tombstones; a tablet whose cursor predates them is told to pull from
the start, and a pull from the start sends the caseload as it is now, not what left it.
So while such a run lasts every record it sends is noted in ``repull_seen``, and when the
run ends (its last page, in that page's commit) what it did not send goes: a household no
longer in the caseload (or, while it still has unsent or drafted work, a deferred tombstone
for it, as for any household that leaves), and the synced members, warnings and history of
the households it did send. Unsent work is never dropped. The notes are in the store file,
so a run cut short by a crash is simply continued by the next pull.

Functions here run inside the caller's write transaction (:class:`sync.store.SQLiteStore`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.protocol import ENTITIES, canonical_json
from sync.store_rows import delete_household, household_busy, loads

_FLAG = "repull"


def begin(conn: sqlite3.Connection) -> None:
    """Start a run from the start: no cursor, nothing noted yet."""
    conn.execute("DELETE FROM repull_seen")
    conn.execute("DELETE FROM sync_state WHERE key = 'cursor'")
    conn.execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
        (_FLAG, canonical_json(True)),
    )


def active(conn: sqlite3.Connection) -> bool:
    """Whether a run from the start is under way."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (_FLAG,)).fetchone()
    return bool(row and loads(row[0]))


def note(conn: sqlite3.Connection, changes: list[dict[str, Any]]) -> None:
    """Note the live records of one page as sent again."""
    conn.executemany(
        "INSERT OR IGNORE INTO repull_seen (entity, id) VALUES (?, ?)",
        [
            (c["entity"], c["id"])
            for c in changes
            if not c.get("deleted") and c["entity"] in ENTITIES
        ],
    )


def finish(conn: sqlite3.Connection, now: str) -> int:
    """End the run: drop what it did not send; returns how many records went or wait."""
    gone = 0
    unsent = conn.execute(
        """SELECT id FROM household WHERE id NOT IN
           (SELECT id FROM repull_seen WHERE entity = 'household')"""
    ).fetchall()
    for (household_id,) in unsent:
        if household_busy(conn, household_id):
            # Left the caseload while work waits for it: it goes once that work is pushed.
            conn.execute(
                """INSERT OR REPLACE INTO deferred_tombstone
                   (entity, id, version, reason, created_at) VALUES ('household', ?, NULL,
                   'repull', ?)""",
                (household_id, now),
            )
        else:
            delete_household(conn, household_id)
        gone += 1
    for entity in (e for e in ENTITIES if e != "household"):
        cursor = conn.execute(
            f"""DELETE FROM {entity} WHERE local_state = 'synced'
                AND id NOT IN (SELECT id FROM repull_seen WHERE entity = ?)
                AND household_id IN (SELECT id FROM repull_seen WHERE entity = 'household')""",
            (entity,),
        )
        gone += cursor.rowcount
    conn.execute("DELETE FROM repull_seen")
    conn.execute("DELETE FROM sync_state WHERE key = ?", (_FLAG,))
    return gone
