"""The tablet store's push side: the outbox as the wire sends it, and the server's answers.

A mixin of :class:`sync.store.SQLiteStore` (it needs ``_read``, ``_write`` and ``_now``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sync import store_rows, store_state
from sync.protocol import canonical_json
from sync.store_errors import StoreError
from sync.store_handover import is_stale, renumber_from


class StorePush:
    """Pending mutations out, results in: nothing leaves the outbox unanswered."""

    def pending_mutations(self, limit: int = 100) -> list[dict[str, Any]]:
        """The outbox, oldest first, in the push wire format.

        Each item is ``{mutation_id, entity, op, id, base_version, data}``. Sent mutations
        whose result never arrived are included: pushing them again is a harmless replay.
        """
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM outbox ORDER BY mutation_id LIMIT ?", (limit,)
            ).fetchall()
        return [store_rows.wire_mutation(row) for row in rows]

    def mark_sent(self, mutation_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Mark mutations as handed to the transport and return them as they must be sent.

        Send what this returns, not an earlier :meth:`pending_mutations` answer: an edit
        may have folded into a mutation in between, and from here on it no longer can.
        Mutations must go oldest first: the server answers any id at or below the highest
        it has seen as a replay, so an older mutation left out (never sent, or sent without
        an answer — the request may never have arrived) could be lost; that is an error.
        """
        ids = sorted(set(mutation_ids))
        if not ids:
            return []
        with self._write() as conn:
            chosen = canonical_json(ids)
            skipped = conn.execute(
                """SELECT mutation_id FROM outbox WHERE mutation_id < ?
                   AND mutation_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1""",
                (ids[-1], chosen),
            ).fetchone()
            if skipped is not None:
                raise StoreError(f"mutation {skipped[0]} must be sent before {ids[-1]}")
            conn.execute(
                """UPDATE outbox SET state = 'sent', attempts = attempts + 1, updated_at = ?
                   WHERE mutation_id IN (SELECT value FROM json_each(?))""",
                (self._now(), chosen),
            )
            rows = conn.execute(
                """SELECT * FROM outbox WHERE mutation_id IN (SELECT value FROM json_each(?))
                   ORDER BY mutation_id""",
                (chosen,),
            ).fetchall()
        return [store_rows.wire_mutation(row) for row in rows]

    def mark_failed(self, mutation_ids: Iterable[int], error: str) -> None:
        """Note why a push of these mutations failed; they stay ``sent`` (outcome unknown)."""
        with self._write() as conn:
            conn.execute(
                """UPDATE outbox SET last_error = ?, updated_at = ?
                   WHERE mutation_id IN (SELECT value FROM json_each(?))""",
                (error, self._now(), canonical_json(sorted(set(mutation_ids)))),
            )

    def outbox_items(self) -> list[dict[str, Any]]:
        """The outbox for a sync-status screen, oldest first.

        Each item has the wire fields plus ``state``, ``attempts``, ``last_error`` and
        ``created_at``.
        """
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM outbox ORDER BY mutation_id").fetchall()
        keys = ("state", "attempts", "last_error", "created_at")
        return [
            {**store_rows.wire_mutation(row), **{key: row[key] for key in keys}} for row in rows
        ]

    def apply_results(self, results: list[dict[str, Any]]) -> None:
        """Apply a push response's results, one per mutation, in one commit.

        ``applied``/``duplicate``: the mutation leaves the outbox and the record takes the
        returned version (``synced`` once nothing else is pending for it). ``conflict``/
        ``rejected``: the mutation leaves the outbox for the needs-attention list, with the
        server's messages and the payload sent; the record is marked ``attention``. It is
        never retried nor dropped silently. A refusal of the mutation *id*
        (``stale_mutation_id``, ``mutation_id_reused``: nothing was stored) keeps the
        mutation, renumbered above the server's ``high_water`` with every later one, to be
        pushed again. Household tombstones that waited for these pushes are then applied.
        A result for a mutation no longer in the outbox (a replayed response) is ignored;
        one for a mutation never marked sent, or with an unknown status, raises
        :class:`StoreError` and nothing is applied.
        """
        with self._write() as conn:
            stale: list[dict[str, Any]] = []
            for result in results:
                row = conn.execute(
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
                conn.execute("DELETE FROM outbox WHERE mutation_id = ?", (row["mutation_id"],))
                if outcome in ("applied", "duplicate"):
                    version = int(result["version"])
                    if not store_state.acknowledge_created(conn, row, version, self._now()):
                        store_state.acknowledge(conn, row, version, self._now())
                elif outcome in ("conflict", "rejected"):
                    store_state.flag(conn, row, result, self._now())
                else:
                    raise StoreError(f"unknown push result status {outcome!r}")
            if stale:
                first = min(r["mutation_id"] for r in stale)
                renumber_from(conn, first, max(int(r.get("high_water") or 0) for r in stale))
            store_state.apply_deferred(conn)
