"""The needs-attention list: pushes the server refused or found in conflict, until dismissed."""

from __future__ import annotations

from typing import Any

from sync.store import rows, state
from sync.store.tx import Tx


def items(tx: Tx) -> list[dict[str, Any]]:
    """Every undismissed item, oldest first, its JSON columns decoded."""
    found = tx.conn.execute("SELECT * FROM attention ORDER BY id").fetchall()
    listed = []
    for row in found:
        item = dict(row)
        for key in ("errors", "server", "payload"):
            item[key] = rows.loads(item[key])
        listed.append(item)
    return listed


def dismiss(tx: Tx, item_id: int) -> bool:
    """Remove one item and settle its record; False if there is no such item."""
    row = tx.conn.execute("SELECT * FROM attention WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return False
    tx.conn.execute("DELETE FROM attention WHERE id = ?", (item_id,))
    state.settle(tx, row["entity"], row["record_id"])
    # The item may have been all that kept the household busy.
    state.apply_deferred(tx)
    return True
