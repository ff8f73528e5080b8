"""A tablet record's state transitions: acknowledged, flagged, pulled, tombstoned, settled."""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.protocol import CONFLICT_MESSAGE, HISTORY_TIME_FIELDS, canonical_json
from sync.store import rows
from sync.store.tx import Tx


def rewrite(
    tx: Tx,
    entity: str,
    row: sqlite3.Row,
    data: dict[str, Any],
    server: dict[str, Any] | None,
    local_state: str,
    version: int | None = None,
) -> None:
    """Rewrite a stored record (``version`` None keeps the stored one)."""
    rows.put_record(
        tx.conn,
        entity,
        row["id"],
        data=data,
        server=server,
        version=row["version"] if version is None else version,
        local_state=local_state,
        now=tx.now,
    )


def settle(tx: Tx, entity: str, record_id: str) -> None:
    """Recompute a non-draft record's local state and shown data from what is known.

    Pending while mutations remain; else attention while undismissed items remain; else
    synced to the server copy. A record the server never accepted that has nothing pending
    any more becomes a draft again, so nothing typed in is lost. A visit/interview keeps
    the advisor's data while not synced; a household (edited per field) shows the server
    copy with the pending edits on top.
    """
    row = rows.get_record(tx.conn, entity, record_id)
    if row is None or row["local_state"] == "draft":
        return
    data, server = rows.loads(row["data"]), rows.server_copy(row)
    payloads = [rows.loads(r["payload"]) for r in rows.outbox_rows(tx.conn, entity, record_id)]
    if payloads:
        state = "pending"
    elif rows.has_attention(tx.conn, entity, record_id):
        state = "attention"
    elif server is not None:
        state, data = "synced", server
    else:
        state, data = "draft", {**data, "status": "draft"}
    if entity == "household" and server is not None and state != "synced":
        data = server
        for payload in payloads:
            data = {**data, **payload}
    rewrite(tx, entity, row, data, server, state)


def acknowledge_created(tx: Tx, mutation: sqlite3.Row, version: int) -> bool:
    """The usual push result in one statement: a visit/interview made on this tablet (no
    server copy yet), with nothing else queued or flagged for it, is now synced at
    ``version`` with the data it was sent with. Returns False, changing nothing, in any
    other case; :func:`acknowledge` then takes the general way (which would end in the same
    row here, after two reads and two rewrites of it)."""
    entity, record_id = mutation["entity"], mutation["record_id"]
    if entity not in HISTORY_TIME_FIELDS or mutation["op"] != "upsert":
        return False
    data = {**rows.loads(mutation["payload"]), "version": version}
    cursor = tx.conn.execute(
        f"""UPDATE {entity} SET data = ?, version = MAX(COALESCE(version, 0), ?),
                   local_state = 'synced', updated_at = ?
            WHERE id = ? AND local_state = 'pending' AND server_data IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox WHERE entity = ? AND record_id = ?)
              AND NOT EXISTS (SELECT 1 FROM attention WHERE entity = ? AND record_id = ?)""",
        (canonical_json(data), version, tx.now, record_id, entity, record_id, entity, record_id),
    )
    return cursor.rowcount == 1


def acknowledge(tx: Tx, mutation: sqlite3.Row, version: int) -> None:
    """The server applied ``mutation`` (now gone from the outbox) at ``version``."""
    entity, record_id = mutation["entity"], mutation["record_id"]
    row = rows.get_record(tx.conn, entity, record_id)
    if row is None:
        return
    server = rows.server_copy(row)
    if server is None or (server.get("version") or 0) <= version:
        # What the server now holds, as far as the tablet knows; the next pull brings the
        # server's own rendering at this version (not lower, so it is applied). A newer
        # server copy already includes the mutation and is kept.
        base = (server or rows.loads(row["data"])) if entity == "household" else {}
        server = {**base, **rows.loads(mutation["payload"]), "version": version}
    newest = max(row["version"] or 0, version)
    rewrite(tx, entity, row, rows.loads(row["data"]), server, row["local_state"], newest)
    settle(tx, entity, record_id)


def flag(tx: Tx, mutation: sqlite3.Row, result: dict[str, Any]) -> None:
    """The server answered ``mutation`` with conflict/rejected: keep it in ``attention``."""
    errors = result.get("errors")
    if errors is None and result.get("fields"):
        errors = {field: [CONFLICT_MESSAGE] for field in result["fields"]}
    server = result.get("server")
    tx.conn.execute(
        """INSERT INTO attention (mutation_id, entity, record_id, household_id, op, status,
                                  reason, errors, server, payload, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            mutation["mutation_id"],
            mutation["entity"],
            mutation["record_id"],
            mutation["household_id"],
            mutation["op"],
            result["status"],
            result.get("reason"),
            None if errors is None else canonical_json(errors),
            None if server is None else canonical_json(server),
            mutation["payload"],
            tx.now,
        ),
    )
    entity, record_id = mutation["entity"], mutation["record_id"]
    row = rows.get_record(tx.conn, entity, record_id)
    if row is None:
        return
    if isinstance(server, dict) and (server.get("version") or 0) >= (row["version"] or 0):
        version = server.get("version") or None
        rewrite(tx, entity, row, rows.loads(row["data"]), server, row["local_state"], version)
    settle(tx, entity, record_id)


def apply_change(tx: Tx, entity: str, record_id: str, version: int, data: dict[str, Any]) -> str:
    """Upsert one pulled record; return ``applied`` or ``ignored`` (older than stored)."""
    row = rows.get_record(tx.conn, entity, record_id)
    if row is not None and version < (row["version"] or 0):
        return "ignored"
    if entity == "household":
        # Back in the caseload (its bundle is being sent again): the old tombstone is void.
        rows.forget_tombstones(tx.conn, [record_id])
    if row is None or row["local_state"] == "synced":
        rows.put_record(
            tx.conn,
            entity,
            record_id,
            data=data,
            server=data,
            version=version,
            local_state="synced",
            now=tx.now,
        )
    else:
        rewrite(tx, entity, row, rows.loads(row["data"]), data, row["local_state"], version)
        settle(tx, entity, record_id)
    return "applied"


def apply_tombstone(tx: Tx, entity: str, record_id: str, version: int, reason: str | None) -> str:
    """Apply one pulled deletion; return ``deleted``, ``deferred`` or ``ignored``."""
    row = rows.get_record(tx.conn, entity, record_id)
    if row is not None and version < (row["version"] or 0):
        return "ignored"
    if entity == "household":
        if rows.household_busy(tx.conn, record_id):
            rows.defer_tombstone(tx.conn, record_id, version, reason, tx.now)
            return "deferred"
        rows.delete_household(tx.conn, record_id)
        return "deleted"
    if row is None:
        return "ignored"
    if row["local_state"] == "synced":
        tx.conn.execute(f"DELETE FROM {entity} WHERE id = ?", (record_id,))
    else:
        # The advisor's own unsent work stays; only the server copy is forgotten.
        rewrite(tx, entity, row, rows.loads(row["data"]), None, row["local_state"])
    return "deleted"


def apply_deferred(tx: Tx) -> None:
    """Apply the deferred household tombstones whose household is no longer busy."""
    waiting = tx.conn.execute("SELECT id FROM deferred_tombstone WHERE entity = 'household'")
    for (household_id,) in waiting.fetchall():
        if not rows.household_busy(tx.conn, household_id):
            rows.delete_household(tx.conn, household_id)
