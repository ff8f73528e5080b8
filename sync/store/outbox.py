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


def rebase(tx: Tx, acknowledged: Any, version: int) -> int:
    """The server acknowledged household update ``acknowledged`` (an outbox row) at
    ``version``: later never-sent updates of the same household that change only fields it
    changed are rebased onto ``version``; returns how many.

    The advisor made them on top of that edit, whose values the server held at
    ``version``, so measured against it they conflict with nobody (else the server would
    see the advisor's own edit as "changed on the server too"). An update that also changes
    other fields keeps its base: for those the tablet knows nothing newer, and rebasing
    would hide a change made on the server meanwhile. A row already sent is left as it was
    sent.
    """
    if acknowledged["entity"] != "household" or acknowledged["op"] != "update":
        return 0
    fields = set(rows.loads(acknowledged["payload"]))
    later = tx.conn.execute(
        """SELECT mutation_id, payload FROM outbox
           WHERE entity = 'household' AND op = 'update' AND record_id = ?
             AND mutation_id > ? AND state = 'queued' AND attempts = 0
             AND COALESCE(base_version, 0) < ?""",
        (acknowledged["record_id"], acknowledged["mutation_id"], version),
    ).fetchall()
    moved = [r["mutation_id"] for r in later if set(rows.loads(r["payload"])) <= fields]
    tx.conn.executemany(
        "UPDATE outbox SET base_version = ? WHERE mutation_id = ?",
        [(version, mutation_id) for mutation_id in moved],
    )
    return len(moved)


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
