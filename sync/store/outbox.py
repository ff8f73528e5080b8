"""Queueing a record's push in the outbox, and what the outbox holds."""

from __future__ import annotations

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
