"""A pull from the start (the server refused the cursor): at its end, drop what it did not send."""

from __future__ import annotations

from typing import Any

from sync.protocol import ENTITIES
from sync.store import rows
from sync.store.tx import Tx

# A server prunes old tombstones; a tablet whose cursor predates them is told to pull from
# the start, and a pull from the start sends the caseload as it is now, not what left it.
# So while such a run lasts every record it sends is noted in ``repull_seen``, and when the
# run ends (its last page, in that page's commit) what it did not send goes: a household no
# longer in the caseload (or, while it is busy, a deferred tombstone for it, as for any
# household that leaves), and the synced members, warnings and history of the households
# it did send. Unsent work is never dropped. The notes are in the store file, so a run cut
# short by a crash is simply continued by the next pull.

_FLAG = "repull"


def begin(tx: Tx) -> None:
    """Start a run from the start: no cursor, nothing noted yet."""
    tx.conn.execute("DELETE FROM repull_seen")
    rows.write_state(tx.conn, "cursor", None)
    rows.write_state(tx.conn, _FLAG, True)


def active(tx: Tx) -> bool:
    """Whether a run from the start is under way."""
    return bool(rows.read_state(tx.conn, _FLAG))


def note(tx: Tx, changes: list[dict[str, Any]]) -> None:
    """Note the live records of one page as sent again."""
    tx.conn.executemany(
        "INSERT OR IGNORE INTO repull_seen (entity, id) VALUES (?, ?)",
        [
            (c["entity"], c["id"])
            for c in changes
            if not c.get("deleted") and c["entity"] in ENTITIES
        ],
    )


def finish(tx: Tx) -> int:
    """End the run: drop what it did not send; returns how many records went or wait."""
    gone = 0
    unsent = tx.conn.execute(
        """SELECT id FROM household WHERE id NOT IN
           (SELECT id FROM repull_seen WHERE entity = 'household')"""
    ).fetchall()
    for (household_id,) in unsent:
        if rows.household_busy(tx.conn, household_id):
            # Left the caseload while work waits for it: it goes once that work is settled.
            rows.defer_tombstone(tx.conn, household_id, None, "repull", tx.now)
        else:
            rows.delete_household(tx.conn, household_id)
        gone += 1
    for entity in (e for e in ENTITIES if e != "household"):
        cursor = tx.conn.execute(
            f"""DELETE FROM {entity} WHERE local_state = 'synced'
                AND id NOT IN (SELECT id FROM repull_seen WHERE entity = ?)
                AND household_id IN (SELECT id FROM repull_seen WHERE entity = 'household')""",
            (entity,),
        )
        gone += cursor.rowcount
    tx.conn.execute("DELETE FROM repull_seen")
    rows.write_state(tx.conn, _FLAG, None)
    return gone
