"""The needs-attention list: pushes the server refused or found in conflict, until dismissed."""

from __future__ import annotations

import uuid
from typing import Any

from sync.protocol import HISTORY_TIME_FIELDS
from sync.store import rows, state
from sync.store.tx import Tx

# Refusals no correction on this tablet can cure: the household is no longer the
# advisor's. Dismissing one is discarding the record, which the office is told of.
UNCURABLE = frozenset({"not_in_caseload"})
DISCARD_REPORTS = "discard_reports"  # sync_state key: discards the server has not yet heard


def items(tx: Tx) -> list[dict[str, Any]]:
    """Every undismissed item, oldest first, its JSON columns decoded; ``discards`` says
    whether dismissing it discards its record (:func:`dismiss`) rather than settling it."""
    found = tx.conn.execute("SELECT * FROM attention ORDER BY id").fetchall()
    listed = []
    for row in found:
        item = dict(row)
        item["discards"] = _discarding(tx, row)
        for key in ("errors", "server", "payload"):
            item[key] = rows.loads(item[key])
        listed.append(item)
    return listed


def dismiss(tx: Tx, item_id: int) -> bool:
    """Remove one item and settle its record; False if there is no such item.

    A visit/interview the server refused as no longer the advisor's (and never accepted)
    cannot be corrected: dismissing it discards it, and a report with the record goes to the
    server (:func:`discard_reports`) so the office knows field work was thrown away. This
    is the one way such a record leaves the tablet, after the advisor confirmed it.
    """
    row = tx.conn.execute("SELECT * FROM attention WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return False
    tx.conn.execute("DELETE FROM attention WHERE id = ?", (item_id,))
    if _discarding(tx, row):
        _discard(tx, row)
    else:
        state.settle(tx, row["entity"], row["record_id"])
    # The item may have been all that kept the household busy.
    state.apply_deferred(tx)
    return True


def _discarding(tx: Tx, item) -> bool:
    entity, record_id = item["entity"], item["record_id"]
    if entity not in HISTORY_TIME_FIELDS or item["status"] != "rejected":
        return False
    if item["reason"] not in UNCURABLE:
        return False
    record = rows.get_record(tx.conn, entity, record_id)
    # Never accepted, and nothing newer of it waiting (no other item of it either): else
    # the item only settles it.
    others = tx.conn.execute(
        "SELECT 1 FROM attention WHERE entity = ? AND record_id = ? AND id != ? LIMIT 1",
        (entity, record_id, item["id"]),
    ).fetchone()
    return (
        record is not None
        and rows.server_copy(record) is None
        and not rows.outbox_rows(tx.conn, entity, record_id)
        and others is None
    )


def _discard(tx: Tx, item) -> None:
    """Delete the record and queue the report of it, in this one local transaction."""
    entity, record_id = item["entity"], item["record_id"]
    record = rows.get_record(tx.conn, entity, record_id)
    reports = rows.read_state(tx.conn, DISCARD_REPORTS) or []
    reports.append(
        {
            "id": str(uuid.uuid4()),
            "entity": entity,
            "record_id": record_id,
            "household_id": record["household_id"],
            "reason": item["reason"],
            "record": rows.loads(record["data"]),
            "discarded_at": tx.now,
        }
    )
    rows.write_state(tx.conn, DISCARD_REPORTS, reports)
    tx.conn.execute(f"DELETE FROM {entity} WHERE id = ?", (record_id,))


def discard_reports(tx: Tx) -> list[dict[str, Any]]:
    """Discards not yet reported to the server, oldest first."""
    return rows.read_state(tx.conn, DISCARD_REPORTS) or []


def forget_reports(tx: Tx, report_ids: list[str]) -> None:
    """The server recorded these reports: drop them."""
    done = set(report_ids)
    left = [r for r in discard_reports(tx) if r["id"] not in done]
    rows.write_state(tx.conn, DISCARD_REPORTS, left or None)
