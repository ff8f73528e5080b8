"""A tablet record's state transitions: acknowledged, flagged, pulled, tombstoned, settled.

The row-level rules of :class:`sync.store.SQLiteStore`: each runs inside the caller's write
transaction, on rows read and written by :mod:`sync.store_rows`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.protocol import CONFLICT_MESSAGE, HISTORY_TIME_FIELDS, canonical_json
from sync.store_rows import (
    delete_household,
    get_record,
    has_attention,
    household_busy,
    loads,
    outbox_rows,
    put_record,
    server_copy,
)


def rewrite(
    conn: sqlite3.Connection,
    entity: str,
    row: sqlite3.Row,
    data: dict[str, Any],
    server: dict[str, Any] | None,
    local_state: str,
    now: str,
    version: int | None = None,
) -> None:
    """Rewrite a stored record (``version`` None keeps the stored one)."""
    put_record(
        conn,
        entity,
        row["id"],
        data=data,
        server=server,
        version=row["version"] if version is None else version,
        local_state=local_state,
        now=now,
    )


def settle(conn: sqlite3.Connection, entity: str, record_id: str, now: str) -> None:
    """Recompute a non-draft record's local state and shown data from what is known.

    Pending while mutations remain; else attention while undismissed items remain; else
    synced to the server copy. A record the server never accepted that has nothing pending
    any more becomes a draft again, so nothing typed in is lost. A visit/interview keeps
    the advisor's data while not synced; a household (edited per field) shows the server
    copy with the pending edits on top.
    """
    row = get_record(conn, entity, record_id)
    if row is None or row["local_state"] == "draft":
        return
    data, server = loads(row["data"]), server_copy(row)
    payloads = [loads(r["payload"]) for r in outbox_rows(conn, entity, record_id)]
    if payloads:
        state = "pending"
    elif has_attention(conn, entity, record_id):
        state = "attention"
    elif server is not None:
        state, data = "synced", server
    else:
        state, data = "draft", {**data, "status": "draft"}
    if entity == "household" and server is not None and state != "synced":
        data = server
        for payload in payloads:
            data = {**data, **payload}
    rewrite(conn, entity, row, data, server, state, now)


def acknowledge_created(
    conn: sqlite3.Connection, mutation: sqlite3.Row, version: int, now: str
) -> bool:
    """The usual push result in one statement: a visit/interview made on this tablet (no
    server copy yet), with nothing else queued or flagged for it, is now synced at
    ``version`` with the data it was sent with. Returns False, changing nothing, in any
    other case; :func:`acknowledge` then takes the general way (which would end in the same
    row here, after two reads and two rewrites of it)."""
    entity, record_id = mutation["entity"], mutation["record_id"]
    if entity not in HISTORY_TIME_FIELDS or mutation["op"] != "upsert":
        return False
    data = {**loads(mutation["payload"]), "version": version}
    cursor = conn.execute(
        f"""UPDATE {entity} SET data = ?, version = MAX(COALESCE(version, 0), ?),
                   local_state = 'synced', updated_at = ?
            WHERE id = ? AND local_state = 'pending' AND server_data IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox WHERE entity = ? AND record_id = ?)
              AND NOT EXISTS (SELECT 1 FROM attention WHERE entity = ? AND record_id = ?)""",
        (canonical_json(data), version, now, record_id, entity, record_id, entity, record_id),
    )
    return cursor.rowcount == 1


def acknowledge(conn: sqlite3.Connection, mutation: sqlite3.Row, version: int, now: str) -> None:
    """The server applied ``mutation`` (now gone from the outbox) at ``version``."""
    entity, record_id = mutation["entity"], mutation["record_id"]
    row = get_record(conn, entity, record_id)
    if row is None:
        return
    server = server_copy(row)
    if server is None or (server.get("version") or 0) <= version:
        # What the server now holds, as far as the tablet knows; the next pull brings the
        # server's own rendering at this version (not lower, so it is applied). A newer
        # server copy already includes the mutation and is kept.
        base = (server or loads(row["data"])) if entity == "household" else {}
        server = {**base, **loads(mutation["payload"]), "version": version}
    newest = max(row["version"] or 0, version)
    rewrite(conn, entity, row, loads(row["data"]), server, row["local_state"], now, newest)
    settle(conn, entity, record_id, now)


def flag(conn: sqlite3.Connection, mutation: sqlite3.Row, result: dict[str, Any], now: str) -> None:
    """The server answered ``mutation`` with conflict/rejected: keep it in ``attention``."""
    errors = result.get("errors")
    if errors is None and result.get("fields"):
        errors = {field: [CONFLICT_MESSAGE] for field in result["fields"]}
    server = result.get("server")
    conn.execute(
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
            now,
        ),
    )
    entity, record_id = mutation["entity"], mutation["record_id"]
    row = get_record(conn, entity, record_id)
    if row is None:
        return
    if isinstance(server, dict) and (server.get("version") or 0) >= (row["version"] or 0):
        version = server.get("version") or None
        rewrite(conn, entity, row, loads(row["data"]), server, row["local_state"], now, version)
    settle(conn, entity, record_id, now)


def apply_change(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    version: int,
    data: dict[str, Any],
    now: str,
) -> str:
    """Upsert one pulled record; return ``applied`` or ``ignored`` (older than stored)."""
    row = get_record(conn, entity, record_id)
    if row is not None and version < (row["version"] or 0):
        return "ignored"
    if entity == "household":
        # Back in the caseload (its bundle is being sent again): the old tombstone is void.
        conn.execute(
            "DELETE FROM deferred_tombstone WHERE entity = 'household' AND id = ?", (record_id,)
        )
    if row is None or row["local_state"] == "synced":
        put_record(
            conn,
            entity,
            record_id,
            data=data,
            server=data,
            version=version,
            local_state="synced",
            now=now,
        )
    else:
        rewrite(conn, entity, row, loads(row["data"]), data, row["local_state"], now, version)
        settle(conn, entity, record_id, now)
    return "applied"


def apply_tombstone(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    version: int,
    reason: str | None,
    now: str,
) -> str:
    """Apply one pulled deletion; return ``deleted``, ``deferred`` or ``ignored``."""
    row = get_record(conn, entity, record_id)
    if row is not None and version < (row["version"] or 0):
        return "ignored"
    if entity == "household":
        if household_busy(conn, record_id):
            conn.execute(
                """INSERT OR REPLACE INTO deferred_tombstone
                   (entity, id, version, reason, created_at) VALUES (?, ?, ?, ?, ?)""",
                (entity, record_id, version, reason, now),
            )
            return "deferred"
        delete_household(conn, record_id)
        return "deleted"
    if row is None:
        return "ignored"
    if row["local_state"] == "synced":
        conn.execute(f"DELETE FROM {entity} WHERE id = ?", (record_id,))
    else:
        # The advisor's own unsent work stays; only the server copy is forgotten.
        rewrite(conn, entity, row, loads(row["data"]), None, row["local_state"], now)
    return "deleted"


def apply_deferred(conn: sqlite3.Connection) -> None:
    """Apply the deferred household tombstones whose household is no longer busy."""
    waiting = conn.execute("SELECT id FROM deferred_tombstone WHERE entity = 'household'")
    for (household_id,) in waiting.fetchall():
        if not household_busy(conn, household_id):
            delete_household(conn, household_id)
