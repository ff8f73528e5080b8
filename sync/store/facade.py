"""SQLiteStore: the tablet's local database (DESIGN §5 "Tablet store") behind one facade."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from sync.store import (
    attention,
    handover,
    leads,
    outbox,
    pull,
    push,
    repull,
    rows,
    saving,
    schema,
)
from sync.store.connection import Connections
from sync.store.errors import StoreError
from sync.store.reading import Reading
from sync.store.tx import Tx


class SQLiteStore(Reading):
    """The tablet store in the SQLite file ``path`` (created and migrated on first use).

    Keeps what the advisor sees and what still has to reach the server. Every write is one
    ``BEGIN IMMEDIATE … COMMIT``: a record and its outbox mutation, a pulled page and its
    cursor, push results and the tombstones they release each commit together or not at
    all, so a kill -9 at any instant leaves a state from which the next sync converges.
    Each method opens one transaction, hands a :class:`~sync.store.tx.Tx` to the functions
    of the topic modules and commits. ``clock`` returns the current aware time (tests inject
    one); ``timeout`` is how long, in seconds, a writer waits for another thread's
    transaction before failing; ``key`` the SQLCipher data key (:mod:`sync.store.cipher`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] | None = None,
        timeout: float = 10.0,
        key: bytes | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._db = Connections(self.path, timeout, key)
        try:
            schema.migrate(self._conn())
            with self._read() as conn:
                self._device_id: str = rows.read_state(conn, "device_id")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ transactions

    def _conn(self) -> sqlite3.Connection:
        return self._db.current()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front: a transaction that starts reading and
        # later writes could otherwise fail with SQLITE_BUSY halfway instead of waiting.
        return self._db.transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        # A read transaction gives several SELECTs one consistent snapshot.
        return self._db.transaction("BEGIN")

    @contextmanager
    def _writing(self) -> Iterator[Tx]:
        with self._write() as conn:
            yield self._tx(conn)

    @contextmanager
    def _reading(self) -> Iterator[Tx]:
        with self._read() as conn:
            yield self._tx(conn)

    def _tx(self, conn: sqlite3.Connection) -> Tx:
        user = rows.read_state(conn, "user")
        return Tx(
            conn=conn,
            now=self._clock().astimezone(UTC).isoformat(),
            device_id=self._device_id,
            author_id=user.get("id") if isinstance(user, dict) else None,
        )

    def close(self) -> None:
        """Close every connection the store opened, from any thread; the store is then unusable.

        Call it when no other thread is inside a store method.
        """
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- saving records

    def save_visit(self, data: dict[str, Any], *, draft: bool = False) -> dict[str, Any]:
        """Validate and save a visit; unless ``draft``, queue its push in the same commit.

        Raises :class:`marshmallow.ValidationError` (field → messages) on bad input and
        :class:`RecordLocked` when the server copy is submitted/resubmitted/approved.
        ``id`` (uuid4), ``device_id`` and ``advisor_id`` (the signed-in user) are filled in
        when missing; ``status`` is set by the store: ``draft``, ``submitted``, or
        ``resubmitted`` for a correction of a ``returned`` record. Returns the stored record.
        """
        with self._writing() as tx:
            return saving.save(tx, "visit", data, draft)

    def save_interview(self, data: dict[str, Any], *, draft: bool = False) -> dict[str, Any]:
        """Validate and save a neighbourhood interview; same rules as :meth:`save_visit`."""
        with self._writing() as tx:
            return saving.save(tx, "interview", data, draft)

    def update_household(self, household_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change the fields an advisor may edit (phone, residence_address, notes, location).

        Writes the local copy and queues an ``update`` mutation whose ``base_version`` is the
        household's server version, in one commit; edits before the mutation is sent fold
        into it (keeping the earliest base_version). Raises :class:`UnknownRecord` or
        :class:`marshmallow.ValidationError`. Returns the stored household.
        """
        payload = saving.check_household_edit(changes)
        with self._writing() as tx:
            return saving.update_household(tx, household_id, payload)

    def discard_draft(self, entity: str, record_id: str) -> bool:
        """Throw away a draft: back to the server copy, or gone if it never left the tablet.

        Returns False when the record is not a draft. A household tombstone that waited for
        the draft is applied in the same commit.
        """
        with self._writing() as tx:
            return saving.discard_draft(tx, entity, record_id)

    def save_lead(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate a lead and queue its push in the same commit; returns the stored lead.

        Raises :class:`marshmallow.ValidationError` (field → messages) on bad input, and
        :class:`LeadLocked` for a lead the server already acknowledged. The id, device and
        advisor are filled in when missing.
        """
        with self._writing() as tx:
            return leads.save_lead(tx, data)

    # ------------------------------------------------------------------- pulling

    def restart_pull(self) -> None:
        """Pull from the start (the server refused the cursor): forget the cursor and note
        what the run sends, so that at its end what it did not send is dropped
        (:mod:`sync.store.repull`); the outbox and drafts are untouched."""
        with self._writing() as tx:
            repull.begin(tx)

    def apply_pull_page(
        self, changes: list[dict[str, Any]], cursor: str, *, last: bool = False
    ) -> dict[str, int]:
        """Apply one pull page and store its cursor, all in one commit.

        Each change is an upsert by (entity, id); one older than the stored version is
        ignored. A draft/pending/attention record keeps its local data and records the
        server copy and version (a household shows the server copy with the pending edits
        on top). Tombstones delete; a household tombstone drops the whole household, or
        waits in ``deferred_tombstone`` while the household is busy (pushes, drafts or
        needs-attention items pending: :func:`sync.store.rows.household_busy`).
        Synced history beyond 12 visits/interviews per household is pruned. A malformed
        change raises ``ValueError`` and nothing of the page (nor the cursor) is kept.
        ``last`` (the server said ``has_more: false``) ends a pull from the start begun by
        :meth:`restart_pull`: records it did not send are dropped (``dropped``).
        Returns counts: ``applied``, ``ignored``, ``deleted``, ``deferred``, ``pruned``,
        ``dropped``.
        """
        with self._writing() as tx:
            return pull.apply_pull_page(tx, changes, cursor, last)

    # ------------------------------------------------------------------- pushing

    def pending_mutations(self, limit: int = 100) -> list[dict[str, Any]]:
        """The outbox, oldest first, in the push wire format.

        Each item is ``{mutation_id, entity, op, id, base_version, data}``. Sent mutations
        whose result never arrived are included: pushing them again is a harmless replay.
        """
        with self._reading() as tx:
            return push.pending_mutations(tx, limit)

    def mark_sent(self, mutation_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Mark mutations as handed to the transport and return them as they must be sent.

        Send what this returns, not an earlier :meth:`pending_mutations` answer: an edit
        may have folded into a mutation in between, and from here on it no longer can.
        Mutations must go oldest first: the server answers any id at or below the highest
        it has seen as a replay, so an older mutation left out (never sent, or sent without
        an answer — the request may never have arrived) could be lost; that is an error.
        """
        with self._writing() as tx:
            return push.mark_sent(tx, mutation_ids)

    def mark_failed(self, mutation_ids: Iterable[int], error: str) -> None:
        """Note why a push of these mutations failed; they stay ``sent`` (outcome unknown)."""
        with self._writing() as tx:
            push.mark_failed(tx, mutation_ids, error)

    def outbox_items(self) -> list[dict[str, Any]]:
        """The outbox for a sync-status screen, oldest first.

        Each item has the wire fields plus ``state``, ``attempts``, ``last_error`` and
        ``created_at``.
        """
        with self._reading() as tx:
            return push.outbox_items(tx)

    def apply_results(self, results: list[dict[str, Any]]) -> None:
        """Apply a push response's results, one per mutation, in one commit.

        ``applied``/``duplicate``: the mutation leaves the outbox and the record takes the
        returned version (``synced`` once nothing else is pending for it); a household
        update's later never-sent update rebases onto that version for the fields it
        changed (:func:`sync.store.outbox.rebase`). ``conflict``/
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
        with self._writing() as tx:
            push.apply_results(tx, results)

    def pending_count(self) -> int:
        """How many mutations wait in the outbox (queued or sent without a result)."""
        with self._reading() as tx:
            return outbox.pending_count(tx)

    def oldest_pending_at(self) -> str | None:
        """When the oldest waiting mutation was queued (ISO, UTC), or None."""
        with self._reading() as tx:
            return outbox.oldest_pending_at(tx)

    # --------------------------------------------------------------- attention

    def attention_items(self) -> list[dict[str, Any]]:
        """The needs-attention list, oldest first, with server messages and payload sent."""
        with self._reading() as tx:
            return attention.items(tx)

    def dismiss_attention(self, item_id: int) -> bool:
        """Remove one needs-attention item (seen by the advisor); False if unknown.

        Its record settles: synced to the server copy when nothing else is pending or
        flagged, else back to a draft. A record refused as ``not_in_caseload`` is discarded
        and the discard queued for the server (:meth:`discard_reports`): call this only
        after the advisor confirmed."""
        with self._writing() as tx:
            return attention.dismiss(tx, item_id)

    def discard_reports(self) -> list[dict[str, Any]]:
        """Records discarded on this tablet that the server has not yet been told of."""
        with self._reading() as tx:
            return attention.discard_reports(tx)

    def forget_discard_reports(self, report_ids: list[str]) -> None:
        """The server recorded these discard reports."""
        with self._writing() as tx:
            attention.forget_reports(tx, report_ids)

    # -------------------------------------------------------------- sync state

    def get_state(self, key: str) -> Any:
        """The value stored under ``key`` in ``sync_state`` (any JSON value), or None."""
        with self._read() as conn:
            return rows.read_state(conn, key)

    def set_state(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (None deletes it); ``device_id`` is fixed."""
        if key == "device_id":
            raise StoreError("device_id is made with the store and never changes")
        with self._write() as conn:
            rows.write_state(conn, key, value)

    def cursor(self) -> str | None:
        """The pull cursor stored with the last applied page; None before the first pull."""
        return self.get_state("cursor")

    def device_id(self) -> str:
        """This store's device id, made once with the database file."""
        return self._device_id

    # ---------------------------------------------------------------- handover

    def begin_user(self, user: dict[str, Any], token: str) -> bool:
        """Make ``user`` (with ``token``) the signed-in advisor, in one commit.

        When another advisor was signed in before, their token is kept (it proves the
        authorship of their unsent records, which are delivered on their behalf, never
        re-attributed nor dropped), the cursor is reset and every pulled record of a
        household that is not busy is dropped, so the new advisor sees their own caseload
        only. Returns True when the advisor changed.
        """
        with self._writing() as tx:
            return handover.begin_user(tx, user, token)

    def settle_handover(self) -> int:
        """After a sync: drop the earlier advisor's households that the new advisor's pull
        did not send again and that are no longer busy; returns how many went.
        Households still waiting on a push stay until it lands."""
        with self._writing() as tx:
            return handover.settle_handover(tx)

    def outbox_author(self, mutation_id: int) -> int | None:
        """The advisor (user id) who made an outbox row; None for rows older than authors."""
        with self._reading() as tx:
            return handover.outbox_author(tx, mutation_id)

    def author_token(self, author_id: int) -> str | None:
        """The token kept for an earlier advisor of this tablet, if any."""
        with self._reading() as tx:
            return handover.author_token(tx, author_id)

    def forget_author_tokens(self) -> None:
        """Drop kept tokens whose advisor has nothing left in the outbox."""
        with self._writing() as tx:
            handover.forget_author_tokens(tx)
