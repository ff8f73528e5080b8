"""A tablet changing hands: who made each outbox row, and what a new advisor's sign-in drops."""

from __future__ import annotations

from typing import Any

from sync.protocol import ENTITIES
from sync.store import rows
from sync.store.tx import Tx


def begin_user(tx: Tx, user: dict[str, Any], token: str) -> bool:
    """Make ``user`` the signed-in advisor; True when the advisor changed (see
    :meth:`sync.store.SQLiteStore.begin_user`)."""
    before = rows.read_state(tx.conn, "user")
    changed = isinstance(before, dict) and before.get("id") != user.get("id")
    if changed:
        # The earlier advisor's token proves the authorship of their unsent records, which
        # are delivered on their behalf, never re-attributed nor dropped.
        tokens = rows.read_state(tx.conn, "author_tokens") or {}
        old_token = rows.read_state(tx.conn, "token")
        if old_token and _has_outbox_rows(tx, before["id"]):
            tokens[str(before["id"])] = old_token
        rows.write_state(tx.conn, "author_tokens", tokens or None)
        rows.write_state(tx.conn, "cursor", None)
        _drop_settled(tx)
        # The rest wait for their pushes. Unversioned, a household the new advisor's pull
        # sends again (it is in their caseload too) is told apart from one that only the
        # earlier advisor's records keep here.
        kept = [r[0] for r in tx.conn.execute("SELECT id FROM household").fetchall()]
        tx.conn.execute("UPDATE household SET version = NULL")
        rows.write_state(tx.conn, "handover_households", kept or None)
    rows.write_state(tx.conn, "token", token)
    rows.write_state(tx.conn, "user", user)
    return changed


def settle_handover(tx: Tx) -> int:
    """Drop the earlier advisor's households not sent again and no longer busy; how many."""
    left, dropped = [], 0
    for household_id in rows.read_state(tx.conn, "handover_households") or []:
        row = tx.conn.execute(
            "SELECT version FROM household WHERE id = ?", (household_id,)
        ).fetchone()
        if row is None or row[0] is not None:
            continue  # gone already, or sent again: in the new advisor's caseload
        if rows.household_busy(tx.conn, household_id):
            left.append(household_id)
            continue
        rows.delete_household(tx.conn, household_id)
        dropped += 1
    rows.write_state(tx.conn, "handover_households", left or None)
    return dropped


def outbox_author(tx: Tx, mutation_id: int) -> int | None:
    """The user id stored with an outbox row; None for rows older than authors."""
    row = tx.conn.execute(
        "SELECT author_id FROM outbox WHERE mutation_id = ?", (mutation_id,)
    ).fetchone()
    return None if row is None else row[0]


def author_token(tx: Tx, author_id: int) -> str | None:
    """The token kept for an earlier advisor of this tablet, if any."""
    return (rows.read_state(tx.conn, "author_tokens") or {}).get(str(author_id))


def forget_author_tokens(tx: Tx) -> None:
    """Drop kept tokens whose advisor has nothing left in the outbox."""
    tokens = rows.read_state(tx.conn, "author_tokens") or {}
    left = {key: value for key, value in tokens.items() if _has_outbox_rows(tx, int(key))}
    rows.write_state(tx.conn, "author_tokens", left or None)


def _has_outbox_rows(tx: Tx, author_id: int) -> bool:
    found = tx.conn.execute("SELECT 1 FROM outbox WHERE author_id = ? LIMIT 1", (author_id,))
    return found.fetchone() is not None


def _drop_settled(tx: Tx) -> None:
    """Drop pulled records of households that are not busy."""
    for table in ENTITIES:
        tx.conn.execute(f"DELETE FROM {table} WHERE household_id NOT IN ({rows.BUSY_HOUSEHOLDS})")
