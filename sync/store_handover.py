"""The tablet store's outbox repairs: renumbering refused mutation ids, and a tablet changing hands.

A mixin of :class:`sync.store.SQLiteStore` (it needs ``_write``, ``_read``, ``_now`` and
``_set_state``). Both repairs keep the promise of the outbox: no record leaves it until the
server holds it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync.protocol import ENTITIES, STALE_MUTATION_REASONS
from sync.store_rows import loads


def renumber_from(conn: sqlite3.Connection, first: int, above: int) -> int:
    """Give every outbox row from ``first`` on a new id above ``above`` and above every id
    this store has used, keeping their order; returns how many moved.

    The server refused ``first`` as stale (its id was at or below the mark — a store restored
    from an old copy, ids sent out of order, bookkeeping pruned): nothing was stored for it.
    Rows after it move too, so the outbox keeps the order the advisor made them in.
    """
    rows = conn.execute(
        "SELECT mutation_id FROM outbox WHERE mutation_id >= ? ORDER BY mutation_id", (first,)
    ).fetchall()
    used = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    next_id = max(above, used[0] if used else 0, rows[-1][0] if rows else 0) + 1
    for (old,) in rows:
        conn.execute(
            "UPDATE outbox SET mutation_id = ?, state = 'queued' WHERE mutation_id = ?",
            (next_id, old),
        )
        next_id += 1
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (next_id - 1,))
    return len(rows)


def is_stale(result: dict[str, Any]) -> bool:
    """A refusal of the mutation *id* (not of the record), cured by renumbering."""
    return result.get("status") == "rejected" and result.get("reason") in STALE_MUTATION_REASONS


class StoreHandover:
    """Who made each outbox row, and what happens when another advisor signs in."""

    def begin_user(self, user: dict[str, Any], token: str) -> bool:
        """Make ``user`` (with ``token``) the signed-in advisor, in one commit.

        When another advisor was signed in before, their token is kept (it proves the
        authorship of their unsent records, which are delivered on their behalf, never
        re-attributed nor dropped), the cursor is reset and every pulled record nothing
        is pending or drafted for is dropped, so the new advisor sees their own caseload
        only. Returns True when the advisor changed.
        """
        with self._write() as conn:
            before = _state(conn, "user")
            changed = isinstance(before, dict) and before.get("id") != user.get("id")
            if changed:
                tokens = _state(conn, "author_tokens") or {}
                old_token = _state(conn, "token")
                waiting = conn.execute(
                    "SELECT 1 FROM outbox WHERE author_id = ? LIMIT 1", (before["id"],)
                ).fetchone()
                if old_token and waiting:
                    tokens[str(before["id"])] = old_token
                self._set_state(conn, "author_tokens", tokens or None)
                self._set_state(conn, "cursor", None)
                _drop_settled(conn)
                # The rest wait for their pushes. Unversioned, a household the new advisor's
                # pull sends again (it is in their caseload too) is told apart from one
                # that only the earlier advisor's records keep here.
                kept = [r[0] for r in conn.execute("SELECT id FROM household").fetchall()]
                conn.execute("UPDATE household SET version = NULL")
                self._set_state(conn, "handover_households", kept or None)
            self._set_state(conn, "token", token)
            self._set_state(conn, "user", user)
            return changed

    def settle_handover(self) -> int:
        """After a sync: drop the earlier advisor's households that the new advisor's pull
        did not send again and that hold nothing unsent any more; returns how many went.
        Households still waiting on a push stay until it lands."""
        with self._write() as conn:
            left, dropped = [], 0
            for household_id in _state(conn, "handover_households") or []:
                row = conn.execute(
                    "SELECT version FROM household WHERE id = ?", (household_id,)
                ).fetchone()
                if row is None or row[0] is not None:
                    continue  # gone already, or sent again: in the new advisor's caseload
                if _busy(conn, household_id):
                    left.append(household_id)
                    continue
                for table in ENTITIES:
                    conn.execute(f"DELETE FROM {table} WHERE household_id = ?", (household_id,))
                dropped += 1
            self._set_state(conn, "handover_households", left or None)
            return dropped

    def outbox_author(self, mutation_id: int) -> int | None:
        """The advisor (user id) who made an outbox row; None for rows older than authors."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT author_id FROM outbox WHERE mutation_id = ?", (mutation_id,)
            ).fetchone()
        return None if row is None else row[0]

    def author_token(self, author_id: int) -> str | None:
        """The token kept for an earlier advisor of this tablet, if any."""
        return (self.get_state("author_tokens") or {}).get(str(author_id))

    def forget_author_tokens(self) -> None:
        """Drop kept tokens whose advisor has nothing left in the outbox."""
        with self._write() as conn:
            tokens = _state(conn, "author_tokens") or {}
            left = {
                key: value
                for key, value in tokens.items()
                if conn.execute(
                    "SELECT 1 FROM outbox WHERE author_id = ? LIMIT 1", (int(key),)
                ).fetchone()
            }
            self._set_state(conn, "author_tokens", left or None)


def _state(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else loads(row[0])


# Households with something not yet settled: unsent, drafted or flagged for the advisor.
_BUSY = """SELECT household_id FROM outbox
           UNION SELECT household_id FROM attention WHERE household_id IS NOT NULL
           UNION SELECT household_id FROM visit WHERE local_state != 'synced'
           UNION SELECT household_id FROM interview WHERE local_state != 'synced'"""


def _busy(conn: sqlite3.Connection, household_id: str) -> bool:
    found = conn.execute(
        f"SELECT 1 FROM ({_BUSY}) WHERE household_id = ? LIMIT 1", (household_id,)
    ).fetchone()
    return found is not None


def _drop_settled(conn: sqlite3.Connection) -> None:
    """Drop pulled records of households with nothing unsent, drafted or flagged."""
    for table in ENTITIES:
        conn.execute(f"DELETE FROM {table} WHERE household_id NOT IN ({_BUSY})")
