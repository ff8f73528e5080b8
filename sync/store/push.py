"""The push side: the outbox as the wire sends it, the server's answers, refused ids renumbered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sync.protocol import STALE_MUTATION_REASONS, canonical_json
from sync.store import outbox, rows, state
from sync.store.errors import StoreError
from sync.store.tx import Tx


def pending_mutations(tx: Tx, limit: int) -> list[dict[str, Any]]:
    """The oldest ``limit`` outbox rows in the push wire format."""
    found = tx.conn.execute("SELECT * FROM outbox ORDER BY mutation_id LIMIT ?", (limit,))
    return [rows.wire_mutation(row) for row in found.fetchall()]


def mark_sent(tx: Tx, mutation_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Mark mutations as handed to the transport; returns them as they must be sent."""
    ids = sorted(set(mutation_ids))
    if not ids:
        return []
    chosen = canonical_json(ids)
    # The server answers any id at or below the highest it has seen as a replay, so an
    # older mutation left out of this push could be lost.
    skipped = tx.conn.execute(
        """SELECT mutation_id FROM outbox WHERE mutation_id < ?
           AND mutation_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1""",
        (ids[-1], chosen),
    ).fetchone()
    if skipped is not None:
        raise StoreError(f"mutation {skipped[0]} must be sent before {ids[-1]}")
    tx.conn.execute(
        """UPDATE outbox SET state = 'sent', attempts = attempts + 1, updated_at = ?
           WHERE mutation_id IN (SELECT value FROM json_each(?))""",
        (tx.now, chosen),
    )
    sent = tx.conn.execute(
        """SELECT * FROM outbox WHERE mutation_id IN (SELECT value FROM json_each(?))
           ORDER BY mutation_id""",
        (chosen,),
    ).fetchall()
    return [rows.wire_mutation(row) for row in sent]


def mark_failed(tx: Tx, mutation_ids: Iterable[int], error: str) -> None:
    """Note why a push of these mutations failed; they stay ``sent`` (outcome unknown)."""
    tx.conn.execute(
        """UPDATE outbox SET last_error = ?, updated_at = ?
           WHERE mutation_id IN (SELECT value FROM json_each(?))""",
        (error, tx.now, canonical_json(sorted(set(mutation_ids)))),
    )


def outbox_items(tx: Tx) -> list[dict[str, Any]]:
    """The whole outbox, oldest first, with each row's delivery state."""
    found = tx.conn.execute("SELECT * FROM outbox ORDER BY mutation_id").fetchall()
    keys = ("state", "attempts", "last_error", "created_at")
    return [{**rows.wire_mutation(row), **{key: row[key] for key in keys}} for row in found]


def apply_results(tx: Tx, results: list[dict[str, Any]]) -> None:
    """Apply a push response's results, one per mutation (see
    :meth:`sync.store.SQLiteStore.apply_results`)."""
    stale: list[dict[str, Any]] = []
    for result in results:
        row = tx.conn.execute(
            "SELECT * FROM outbox WHERE mutation_id = ?", (result["mutation_id"],)
        ).fetchone()
        if row is None:
            continue  # answered before (a replayed response)
        if row["state"] != "sent":
            raise StoreError(f"result for mutation {row['mutation_id']}, never sent")
        if is_stale(result):
            stale.append(result)  # nothing stored: it stays, under a new id
            continue
        outcome = result.get("status")
        tx.conn.execute("DELETE FROM outbox WHERE mutation_id = ?", (row["mutation_id"],))
        if outcome in ("applied", "duplicate"):
            version = int(result["version"])
            if not state.acknowledge_created(tx, row, version):
                state.acknowledge(tx, row, version)
            outbox.rebase(tx, row, version)
        elif outcome in ("conflict", "rejected"):
            state.flag(tx, row, result)
        else:
            raise StoreError(f"unknown push result status {outcome!r}")
    if stale:
        first = min(r["mutation_id"] for r in stale)
        renumber_from(tx, first, max(int(r.get("high_water") or 0) for r in stale))
    state.apply_deferred(tx)


def is_stale(result: dict[str, Any]) -> bool:
    """A refusal of the mutation *id* (not of the record), cured by renumbering."""
    return result.get("status") == "rejected" and result.get("reason") in STALE_MUTATION_REASONS


def renumber_from(tx: Tx, first: int, above: int) -> int:
    """Give every outbox row from ``first`` on a new id above ``above`` and above every id
    this store has used, keeping their order; returns how many moved.

    The server refused ``first`` as stale (its id was at or below the mark — a store restored
    from an old copy, ids sent out of order, bookkeeping pruned): nothing was stored for it.
    Rows after it move too, so the outbox keeps the order the advisor made them in.
    """
    moving = tx.conn.execute(
        "SELECT mutation_id FROM outbox WHERE mutation_id >= ? ORDER BY mutation_id", (first,)
    ).fetchall()
    used = tx.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    next_id = max(above, used[0] if used else 0, moving[-1][0] if moving else 0) + 1
    for (old,) in moving:
        tx.conn.execute(
            "UPDATE outbox SET mutation_id = ?, state = 'queued' WHERE mutation_id = ?",
            (next_id, old),
        )
        next_id += 1
    tx.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (next_id - 1,))
    return len(moving)
