"""Queueing a record's push in the outbox, and what the outbox holds."""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.protocol import canonical_json
from sync.store import rows
from sync.store.errors import RecordLocked
from sync.store.tx import Tx


def enqueue(
    tx: Tx,
    entity: str,
    op: str,
    record_id: str,
    household_id: str,
    payload: dict[str, Any],
    base_version: int | None,
) -> int:
    """Queue a mutation, or fold it into the record's queued, never-sent one; its id."""
    # Only a row never handed to the transport may change: once sent, the server may
    # have applied it, and rewriting it would make the tablet lie about what it sent.
    queued = tx.conn.execute(
        """SELECT mutation_id, payload FROM outbox
           WHERE entity = ? AND record_id = ? AND op = ? AND state = 'queued'
             AND attempts = 0
           ORDER BY mutation_id DESC LIMIT 1""",
        (entity, record_id, op),
    ).fetchone()
    if queued is not None:
        merged = payload if op == "upsert" else {**rows.loads(queued["payload"]), **payload}
        tx.conn.execute(
            "UPDATE outbox SET payload = ?, updated_at = ? WHERE mutation_id = ?",
            (canonical_json(merged), tx.now, queued["mutation_id"]),
        )
        return queued["mutation_id"]
    cursor = tx.conn.execute(
        """INSERT INTO outbox (entity, record_id, household_id, op, base_version, payload,
                               author_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            entity,
            record_id,
            household_id,
            op,
            base_version,
            canonical_json(payload),
            tx.author_id,
            tx.now,
            tx.now,
        ),
    )
    return cursor.lastrowid


def rebase(tx: Tx, acknowledged: sqlite3.Row, version: int) -> None:
    """The server acknowledged household update ``acknowledged`` (an outbox row) at
    ``version``: the household's later never-sent update is rebased onto ``version`` for
    the fields that one changed.

    The advisor made it on top of that edit, whose values the server held at ``version``,
    so for those fields it conflicts with nobody (else the server would see the advisor's
    own edit as "changed on the server too"). Its other fields keep their base: for those
    the tablet knows nothing newer, and rebasing would hide a change made on the server
    meanwhile, so an update with both is split in two (the rebased part queued last, where
    later edits fold into it). A row already sent is left as it was sent.
    """
    if acknowledged["entity"] != "household" or acknowledged["op"] != "update":
        return
    fields = set(rows.loads(acknowledged["payload"]))
    # At most one: later edits fold into the household's never-sent update (enqueue).
    later = tx.conn.execute(
        """SELECT mutation_id, payload FROM outbox
           WHERE entity = 'household' AND op = 'update' AND record_id = ?
             AND mutation_id > ? AND state = 'queued' AND attempts = 0
             AND COALESCE(base_version, 0) < ?""",
        (acknowledged["record_id"], acknowledged["mutation_id"], version),
    ).fetchall()
    for row in later:
        payload = rows.loads(row["payload"])
        rebased = {k: v for k, v in payload.items() if k in fields}
        kept = {k: v for k, v in payload.items() if k not in fields}
        if not rebased:
            continue
        if not kept:
            tx.conn.execute(
                "UPDATE outbox SET base_version = ?, updated_at = ? WHERE mutation_id = ?",
                (version, tx.now, row["mutation_id"]),
            )
            continue
        tx.conn.execute(
            "UPDATE outbox SET payload = ?, updated_at = ? WHERE mutation_id = ?",
            (canonical_json(kept), tx.now, row["mutation_id"]),
        )
        tx.conn.execute(
            """INSERT INTO outbox (entity, record_id, household_id, op, base_version, payload,
                                   author_id, created_at, updated_at)
               SELECT entity, record_id, household_id, op, ?, ?, author_id, created_at, ?
               FROM outbox WHERE mutation_id = ?""",
            (version, canonical_json(rebased), tx.now, row["mutation_id"]),
        )


def withdraw(tx: Tx, entity: str, record_id: str) -> None:
    """Take a record's mutations out of the outbox; RecordLocked once any was sent."""
    # Back to draft is only possible while nothing was sent: the server may already have
    # applied a sent submission, and the tablet cannot take that back.
    queued = rows.outbox_rows(tx.conn, entity, record_id)
    if any(r["state"] != "queued" or r["attempts"] for r in queued):
        raise RecordLocked(f"{entity} {record_id} was already sent; it cannot become a draft")
    tx.conn.execute("DELETE FROM outbox WHERE entity = ? AND record_id = ?", (entity, record_id))


def pending_count(tx: Tx) -> int:
    """How many mutations wait in the outbox."""
    return tx.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def oldest_pending_at(tx: Tx) -> str | None:
    """When the oldest waiting mutation was queued, or None."""
    return tx.conn.execute("SELECT MIN(created_at) FROM outbox").fetchone()[0]
