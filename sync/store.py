"""The tablet's local database (DESIGN §5 "Tablet store"): records, outbox, pull state.

:class:`SQLiteStore` keeps what the advisor sees and what still has to reach the server, in
one SQLite file (tables: :mod:`sync.store_schema`; rows and their state transitions:
:mod:`sync.store_rows`, :mod:`sync.store_state`). Every write is one ``BEGIN IMMEDIATE …
COMMIT``: a record and its outbox mutation, a pulled page and its cursor, push results and
the tombstones they release each commit together or not at all, so a kill -9 at any
instant leaves a state from which the next sync converges.

Durability: WAL with ``synchronous=FULL``. WAL+NORMAL already survives a killed process
(the committed frames are in the OS cache), but not a power cut or a battery pulled out of
a tablet, which can lose the last commits — a visit the advisor was told was saved. FULL
costs one fsync per commit; commits here are one per save and one per pull page, so the
cost is invisible, and a saved visit is on flash before ``save_visit`` returns.

Threads: one connection per thread (``threading.local``), all opened by
:meth:`SQLiteStore._connect`. The Kivy UI thread and the sync thread then never share a
connection or a transaction; WAL lets the UI read while the sync thread writes, and writers
queue on SQLite's own lock (``BEGIN IMMEDIATE`` + busy timeout, so no lock upgrades and no
deadlocks) instead of on a Python lock held across I/O.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError

from sync import store_pull, store_repull, store_rows, store_schema, store_state
from sync.protocol import (
    EDITABLE_HOUSEHOLD_FIELDS,
    HISTORY_TIME_FIELDS,
    LOCKED_STATUSES,
    canonical_json,
)
from sync.records import SCHEMAS, HouseholdSchema
from sync.store_errors import RecordLocked, StoreError, UnknownRecord
from sync.store_handover import StoreHandover
from sync.store_leads import StoreLeads
from sync.store_push import StorePush
from sync.store_read import StoreReads
from sync.store_rows import loads

# The errors live in sync.store_errors (the mixins raise them too); imported from here.
__all__ = ["RecordLocked", "SQLiteStore", "StoreError", "UnknownRecord"]
log = logging.getLogger(__name__)

# Keys the store adds to the dicts it returns; dropped again when a dict comes back to save.
_STORE_KEYS = frozenset({"version", "local_state", "review_comment"})


class SQLiteStore(StoreReads, StorePush, StoreHandover, StoreLeads):
    """The tablet store in the SQLite file ``path`` (created and migrated on first use).

    ``clock`` returns the current aware time (tests inject one); ``timeout`` is how long, in
    seconds, a writer waits for another thread's transaction before failing.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.path = os.fspath(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._timeout = timeout
        self._local = threading.local()
        # Every connection with the thread that owns it, so close() reaches them all and a
        # finished thread's connection is closed instead of leaking.
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._registry = threading.Lock()
        self._closed = False
        try:
            store_schema.migrate(self._conn())
            self._device_id: str = self.get_state("device_id")
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------- connections

    def _connect(self) -> sqlite3.Connection:
        """Open one connection: the only place that does, so SQLCipher can key it here.

        With SQLCipher, ``PRAGMA key`` goes first, before any other statement.
        """
        conn = sqlite3.connect(
            self.path,
            timeout=self._timeout,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,  # used by one thread only; close() may come from another
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"{self.path}: cannot use WAL journal mode (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._registry:
                alive = []
                for thread, other in self._connections:
                    if thread.is_alive():
                        alive.append((thread, other))
                    else:
                        other.close()  # its thread has ended and can no longer use it
                alive.append((threading.current_thread(), conn))
                self._connections = alive
        return conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if conn.in_transaction:
            raise StoreError("store methods must not be called inside another store call")
        conn.execute(begin)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front: a transaction that starts reading and
        # later writes could otherwise fail with SQLITE_BUSY halfway instead of waiting.
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        # A read transaction gives several SELECTs one consistent snapshot.
        return self._transaction("BEGIN")

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat()

    def close(self) -> None:
        """Close every connection the store opened, from any thread; the store is then unusable.

        Call it when no other thread is inside a store method.
        """
        self._closed = True
        with self._registry:
            for _thread, conn in self._connections:
                conn.close()
            self._connections.clear()

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
        return self._save("visit", data, draft)

    def save_interview(self, data: dict[str, Any], *, draft: bool = False) -> dict[str, Any]:
        """Validate and save a neighbourhood interview; same rules as :meth:`save_visit`."""
        return self._save("interview", data, draft)

    def _prepare(self, data: dict[str, Any]) -> dict[str, Any]:
        clean = {key: value for key, value in data.items() if key not in _STORE_KEYS}
        clean.setdefault("id", str(uuid.uuid4()))
        clean.setdefault("device_id", self._device_id)
        user = self.get_state("user")
        if "advisor_id" not in clean and isinstance(user, dict) and "id" in user:
            clean["advisor_id"] = user["id"]
        clean["status"] = "draft"  # replaced below; the caller does not choose it
        return clean

    def _save(self, entity: str, data: dict[str, Any], draft: bool) -> dict[str, Any]:
        schema = SCHEMAS[entity]()
        record = schema.dump(schema.load(self._prepare(data)))
        record_id, household_id = record["id"], record["household_id"]
        with self._write() as conn:
            if store_rows.get_record(conn, "household", household_id) is None:
                raise ValidationError({"household_id": ["Not a household on this tablet."]})
            row = store_rows.get_record(conn, entity, record_id)
            server = store_rows.server_copy(row) if row else None
            if row is not None and row["household_id"] != household_id:
                raise ValidationError(
                    {"household_id": ["Cannot move a record to another household."]}
                )
            server_status = server.get("status") if server else None
            if server_status in LOCKED_STATUSES:
                raise RecordLocked(
                    f"{entity} {record_id} is {server_status} on the server and cannot be edited"
                )
            if draft:
                self._withdraw(conn, entity, record_id)
                record["status"], state = "draft", "draft"
            else:
                record["status"] = "resubmitted" if server_status == "returned" else "submitted"
                state = "pending"
            version = row["version"] if row else None
            store_rows.put_record(
                conn,
                entity,
                record_id,
                data=record,
                server=server,
                version=version,
                local_state=state,
                now=self._now(),
            )
            if not draft:
                self._enqueue(conn, entity, "upsert", record_id, household_id, record, None)
            return self._as_dict(store_rows.get_record(conn, entity, record_id))

    def _withdraw(self, conn: sqlite3.Connection, entity: str, record_id: str) -> None:
        # Back to draft is only possible while nothing was sent: the server may already
        # have applied a sent submission, and the tablet cannot take that back.
        rows = store_rows.outbox_rows(conn, entity, record_id)
        if any(r["state"] != "queued" or r["attempts"] for r in rows):
            raise RecordLocked(f"{entity} {record_id} was already sent; it cannot become a draft")
        conn.execute("DELETE FROM outbox WHERE entity = ? AND record_id = ?", (entity, record_id))

    def _enqueue(
        self,
        conn: sqlite3.Connection,
        entity: str,
        op: str,
        record_id: str,
        household_id: str,
        payload: dict[str, Any],
        base_version: int | None,
    ) -> int:
        """Queue a mutation, or fold it into the record's queued, never-sent one."""
        now = self._now()
        # Only a row never handed to the transport may change: once sent, the server may
        # have applied it, and rewriting it would make the tablet lie about what it sent.
        queued = conn.execute(
            """SELECT mutation_id, payload FROM outbox
               WHERE entity = ? AND record_id = ? AND op = ? AND state = 'queued'
                 AND attempts = 0
               ORDER BY mutation_id DESC LIMIT 1""",
            (entity, record_id, op),
        ).fetchone()
        if queued is not None:
            merged = payload if op == "upsert" else {**loads(queued["payload"]), **payload}
            conn.execute(
                "UPDATE outbox SET payload = ?, updated_at = ? WHERE mutation_id = ?",
                (canonical_json(merged), now, queued["mutation_id"]),
            )
            return queued["mutation_id"]
        user = conn.execute("SELECT value FROM sync_state WHERE key = 'user'").fetchone()
        author = (loads(user[0]) or {}).get("id") if user else None
        cursor = conn.execute(
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
                author,
                now,
                now,
            ),
        )
        return cursor.lastrowid

    def update_household(self, household_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change the fields an advisor may edit (phone, residence_address, notes, location).

        Writes the local copy and queues an ``update`` mutation whose ``base_version`` is the
        household's server version, in one commit; edits before the mutation is sent fold
        into it (keeping the earliest base_version). Raises :class:`UnknownRecord` or
        :class:`marshmallow.ValidationError`. Returns the stored household.
        """
        wrong = {key: ["Not editable on the tablet."] for key in changes}
        for key in EDITABLE_HOUSEHOLD_FIELDS:
            wrong.pop(key, None)
        if wrong:
            raise ValidationError(wrong)
        schema = HouseholdSchema(only=EDITABLE_HOUSEHOLD_FIELDS, partial=True)
        payload = schema.dump(schema.load(changes))
        with self._write() as conn:
            row = store_rows.get_record(conn, "household", household_id)
            if row is None:
                raise UnknownRecord(f"household {household_id} is not on this tablet")
            if payload:
                server = store_rows.server_copy(row)
                data = {**loads(row["data"]), **payload}
                store_rows.put_record(
                    conn,
                    "household",
                    household_id,
                    data=data,
                    server=server,
                    version=row["version"],
                    local_state="pending",
                    now=self._now(),
                )
                self._enqueue(
                    conn, "household", "update", household_id, household_id, payload, row["version"]
                )
            return self._as_dict(store_rows.get_record(conn, "household", household_id))

    def discard_draft(self, entity: str, record_id: str) -> bool:
        """Throw away a draft: back to the server copy, or gone if it never left the tablet.

        Returns False when the record is not a draft. A household tombstone that waited for
        the draft is applied in the same commit.
        """
        if entity not in HISTORY_TIME_FIELDS:
            raise ValueError(f"only visits and interviews have drafts, not {entity!r}")
        with self._write() as conn:
            row = store_rows.get_record(conn, entity, record_id)
            if row is None or row["local_state"] != "draft":
                return False
            server = loads(row["server_data"])
            if server is None:
                conn.execute(f"DELETE FROM {entity} WHERE id = ?", (record_id,))
            else:
                store_state.rewrite(conn, entity, row, server, server, "synced", self._now())
            store_state.apply_deferred(conn)
            return True

    # ------------------------------------------------------------------- pulling

    def restart_pull(self) -> None:
        """Pull from the start (the server refused the cursor): forget the cursor and note
        what the run sends, so that at its end what it did not send is dropped
        (:mod:`sync.store_repull`); the outbox and drafts are untouched."""
        with self._write() as conn:
            store_repull.begin(conn)

    def apply_pull_page(
        self, changes: list[dict[str, Any]], cursor: str, *, last: bool = False
    ) -> dict[str, int]:
        """Apply one pull page and store its cursor, all in one commit.

        Each change is an upsert by (entity, id); one older than the stored version is
        ignored. A draft/pending/attention record keeps its local data and records the
        server copy and version (a household shows the server copy with the pending edits
        on top). Tombstones delete; a household tombstone drops the whole household, or
        waits in ``deferred_tombstone`` while the household has pushes or drafts pending.
        Synced history beyond 12 visits/interviews per household is pruned. A malformed
        change raises ``ValueError`` and nothing of the page (nor the cursor) is kept.
        ``last`` (the server said ``has_more: false``) ends a pull from the start begun by
        :meth:`restart_pull`: records it did not send are dropped (``dropped``).
        Returns counts: ``applied``, ``ignored``, ``deleted``, ``deferred``, ``pruned``,
        ``dropped``.
        """
        with self._write() as conn:
            now = self._now()
            counts = {**store_pull.apply_page(conn, changes, now), "dropped": 0}
            if store_repull.active(conn):
                store_repull.note(conn, changes)
                if last:
                    counts["dropped"] = store_repull.finish(conn, now)
                    store_state.apply_deferred(conn)
            self._set_state(conn, "cursor", cursor)
        return counts

    @staticmethod
    def _as_dict(row: sqlite3.Row) -> dict[str, Any]:
        record = loads(row["data"])
        record["version"] = row["version"]
        record["local_state"] = row["local_state"]
        return record

    # --------------------------------------------------------------- attention

    def attention_items(self) -> list[dict[str, Any]]:
        """The needs-attention list, oldest first, with server messages and payload sent."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM attention ORDER BY id").fetchall()
        items = []
        for row in rows:
            item = dict(row)
            for key in ("errors", "server", "payload"):
                item[key] = loads(item[key])
            items.append(item)
        return items

    def dismiss_attention(self, item_id: int) -> bool:
        """Remove one needs-attention item (the advisor has seen it); False if unknown.

        Its record then settles: synced to the server copy when nothing else is pending or
        flagged, or back to a draft when the server never accepted it.
        """
        with self._write() as conn:
            row = conn.execute("SELECT * FROM attention WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM attention WHERE id = ?", (item_id,))
            store_state.settle(conn, row["entity"], row["record_id"], self._now())
            store_state.apply_deferred(conn)
            return True

    # -------------------------------------------------------------- sync state

    def get_state(self, key: str) -> Any:
        """The value stored under ``key`` in ``sync_state`` (any JSON value), or None."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else loads(row["value"])

    def set_state(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (None deletes it); ``device_id`` is fixed."""
        if key == "device_id":
            raise StoreError("device_id is made with the store and never changes")
        with self._write() as conn:
            self._set_state(conn, key, value)

    @staticmethod
    def _set_state(conn: sqlite3.Connection, key: str, value: Any) -> None:
        if value is None:
            conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                (key, canonical_json(value)),
            )

    def cursor(self) -> str | None:
        """The pull cursor stored with the last applied page; None before the first pull."""
        return self.get_state("cursor")

    def device_id(self) -> str:
        """This store's device id, made once with the database file."""
        return self._device_id

    def pending_count(self) -> int:
        """How many mutations wait in the outbox (queued or sent without a result)."""
        with self._read() as conn:
            return conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def oldest_pending_at(self) -> str | None:
        """When the oldest waiting mutation was queued (ISO, UTC), or None."""
        with self._read() as conn:
            return conn.execute("SELECT MIN(created_at) FROM outbox").fetchone()[0]
