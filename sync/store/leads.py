"""Leads (走访发现): a household found in the field, saved with its push and kept as a receipt."""

from __future__ import annotations

from typing import Any

from sync.store import outbox, rows, saving
from sync.store.errors import LeadLocked
from sync.store.tx import Tx


def save_lead(tx: Tx, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a lead and queue its push; returns the stored lead."""
    record = saving.prepare(tx, "lead", data)
    lead_id = record["id"]
    row = rows.get_record(tx.conn, "lead", lead_id)
    # A lead is never pulled back: once the server has it, the tablet keeps it as a receipt.
    if row is not None and row["local_state"] == "synced":
        raise LeadLocked(f"lead {lead_id} was received by the server already")
    rows.put_record(
        tx.conn,
        "lead",
        lead_id,
        data=record,
        server=None,
        version=row["version"] if row else None,
        local_state="pending",
        now=tx.now,
    )
    outbox.enqueue(tx, "lead", "upsert", lead_id, lead_id, record, None)
    return rows.as_dict(rows.get_record(tx.conn, "lead", lead_id))


def leads(tx: Tx) -> list[dict[str, Any]]:
    """Every lead on the tablet, newest first."""
    found = tx.conn.execute("SELECT * FROM lead ORDER BY found_at DESC, id DESC").fetchall()
    return [rows.as_dict(row) for row in found]
