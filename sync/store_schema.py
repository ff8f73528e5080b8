"""The tablet store's tables, migrations and row-level rules, used by :mod:`sync.store`.

:mod:`sync.store` owns connections, transactions, validation and the public API; this
module holds what runs *inside* one of its transactions: the layout and its migrations,
reading and writing rows, and the state transitions of a record (acknowledged, flagged,
pulled, tombstoned, settled).

Layout (schema version 1):

- one table per entity — ``household``, ``person``, ``visit``, ``interview``, ``warning`` —
  with ``id`` (TEXT PK), ``household_id`` (a household's own id for ``household``, so one
  ``DELETE … WHERE household_id = ?`` per table drops a household's bundle), ``version``
  (the newest server version known), a few key columns for queries, ``data`` (the wire
  record as canonical JSON: what the tablet shows), ``server_data`` (the last server copy
  when it differs from ``data``, i.e. while the record is not ``synced``; NULL otherwise)
  and ``local_state`` (``synced`` | ``draft`` | ``pending`` | ``attention``);
- ``outbox``: queued push mutations, ``mutation_id`` AUTOINCREMENT so an id is never reused
  even after its row is deleted;
- ``attention``: pushes the server answered ``conflict`` or ``rejected``, kept (with the
  payload sent) until the advisor dismisses them;
- ``deferred_tombstone``: household tombstones waiting for the household's pushes/drafts;
- ``sync_state``: key → JSON value (cursor, device_id, token, server_url, user, …).

A record's ``local_state``: ``draft`` (the advisor's, never pushed), ``pending`` (mutations
in the outbox), ``attention`` (undismissed conflict/rejection), else ``synced``.

There are no foreign keys between entity tables on purpose: a pull page is ordered by
version, not parent-first, so a person may arrive before its household.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

ENTITY_TABLES = ("household", "person", "visit", "interview", "warning")
LOCAL_STATES = ("synced", "draft", "pending", "attention")
# Server statuses after which only the supervisor's workflow changes a record (DESIGN §6).
LOCKED_STATUSES = frozenset({"submitted", "resubmitted", "approved"})
# The server sends the last 12 visits and 12 interviews of each household (DESIGN §5).
KEEP_PER_HOUSEHOLD = 12
# Table → its time column, by which "latest" is judged when pruning history.
HISTORY_TABLES = {"visit": "visited_at", "interview": "interviewed_at"}


# ---------------------------------------------------------------------------- values


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, so equal records store equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    """Decode JSON text stored by :func:`dumps`; ``None`` stays ``None``."""
    return None if text is None else json.loads(text)


def utc_iso(value: Any) -> str | None:
    """An aware ISO timestamp normalised to UTC, so that text order is time order.

    ``2025-03-31T23:30:00+08:00`` sorts after ``2025-03-31T16:00:00+00:00`` as text, although
    it is earlier; the key columns therefore hold UTC. Naive or unparsable text is kept as
    is (the server never sends it; the UI's field validation refuses it).
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(UTC).isoformat()


# Per entity: the key columns beyond the common ones, computed from the wire record.
KEY_COLUMNS: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "household": {
        "external_id": lambda d: d.get("external_id"),
        "head_name": lambda d: d.get("head_name"),
        "status": lambda d: d.get("status"),
    },
    "person": {"name": lambda d: d.get("name")},
    "visit": {
        "visited_at": lambda d: utc_iso(d.get("visited_at")),
        "outcome": lambda d: d.get("outcome"),
        "status": lambda d: d.get("status"),
    },
    "interview": {
        "interviewed_at": lambda d: utc_iso(d.get("interviewed_at")),
        "status": lambda d: d.get("status"),
    },
    "warning": {
        "status": lambda d: d.get("status"),
        "level": lambda d: d.get("level"),
        "raised_at": lambda d: utc_iso(d.get("raised_at")),
    },
}


# ------------------------------------------------------------------------ migrations


def _entity_table(name: str, extra: str) -> str:
    return f"""
        CREATE TABLE {name} (
            id TEXT PRIMARY KEY,
            household_id TEXT NOT NULL,
            version INTEGER,
            {extra}
            data TEXT NOT NULL CHECK (json_valid(data)),
            server_data TEXT CHECK (server_data IS NULL OR json_valid(server_data)),
            local_state TEXT NOT NULL DEFAULT 'synced'
                CHECK (local_state IN ('synced', 'draft', 'pending', 'attention')),
            updated_at TEXT NOT NULL
        )"""


def _v1_initial(conn: sqlite3.Connection) -> None:
    # Frozen: a later change is a new migration, never an edit of this one.
    statements = [
        _entity_table("household", "external_id TEXT, head_name TEXT, status TEXT,"),
        _entity_table("person", "name TEXT,"),
        _entity_table("visit", "visited_at TEXT, outcome TEXT, status TEXT,"),
        _entity_table("interview", "interviewed_at TEXT, status TEXT,"),
        _entity_table("warning", "status TEXT, level TEXT, raised_at TEXT,"),
        "CREATE INDEX ix_household_household ON household (household_id)",
        "CREATE INDEX ix_person_household ON person (household_id)",
        "CREATE INDEX ix_visit_household ON visit (household_id, visited_at)",
        "CREATE INDEX ix_interview_household ON interview (household_id, interviewed_at)",
        "CREATE INDEX ix_warning_household ON warning (household_id)",
        "CREATE INDEX ix_warning_status ON warning (status)",
        """CREATE TABLE outbox (
            mutation_id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            household_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('upsert', 'update')),
            base_version INTEGER,
            payload TEXT NOT NULL CHECK (json_valid(payload)),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX ix_outbox_record ON outbox (entity, record_id)",
        "CREATE INDEX ix_outbox_household ON outbox (household_id)",
        """CREATE TABLE attention (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            mutation_id INTEGER UNIQUE,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            household_id TEXT,
            op TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('conflict', 'rejected')),
            reason TEXT,
            errors TEXT,
            server TEXT,
            payload TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX ix_attention_record ON attention (entity, record_id)",
        """CREATE TABLE deferred_tombstone (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            version INTEGER,
            reason TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (entity, id)
        )""",
        "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]
    for statement in statements:
        conn.execute(statement)
    # Made once, with the database: a reinstalled app (new file) gets a new device id and
    # so can never replay mutation ids the server already saw under the old one.
    now = datetime.now(UTC).isoformat()
    conn.executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)",
        [("device_id", dumps(f"tablet-{uuid.uuid4()}")), ("created_at", dumps(now))],
    )


# Index i upgrades user_version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial]


class SchemaTooNew(RuntimeError):
    """The database file was written by a newer app than this one (no downgrades)."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to ``len(MIGRATIONS)``, one transaction per step; return it.

    Each step and its ``PRAGMA user_version`` bump commit together (the version lives in
    the file header, which is part of the transaction), so a crash mid-migration leaves the
    previous version and the step is simply run again. The version is re-read under the
    write lock so two connections opening a fresh file do not both migrate it.
    """
    target = len(MIGRATIONS)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > target:
                raise SchemaTooNew(f"store schema {current} is newer than this app's {target}")
            if current == target:
                conn.execute("COMMIT")
                return current
            MIGRATIONS[current](conn)
            conn.execute(f"PRAGMA user_version = {current + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


# --------------------------------------------------------------------------- rows


def get_record(conn: sqlite3.Connection, entity: str, record_id: str) -> sqlite3.Row | None:
    """The stored row of one record, or ``None``."""
    return conn.execute(f"SELECT * FROM {entity} WHERE id = ?", (record_id,)).fetchone()


def server_copy(row: sqlite3.Row) -> dict[str, Any] | None:
    """The last server copy of a record: ``data`` itself while it is ``synced``."""
    if row["local_state"] == "synced":
        return loads(row["data"])
    return loads(row["server_data"])


def put_record(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    *,
    data: dict[str, Any],
    server: dict[str, Any] | None,
    version: int | None,
    local_state: str,
    now: str,
) -> None:
    """Insert or replace one record; the key columns are derived from ``data``.

    A ``synced`` record keeps no separate server copy (``data`` is the server copy), which
    halves the space the bulk of the store takes.
    """
    household_id = record_id if entity == "household" else data.get("household_id")
    if not household_id:
        raise ValueError(f"{entity} {record_id} has no household_id")
    keys = {name: derive(data) for name, derive in KEY_COLUMNS[entity].items()}
    columns = {
        "id": record_id,
        "household_id": str(household_id),
        "version": version,
        **keys,
        "data": dumps(data),
        "server_data": None if local_state == "synced" or server is None else dumps(server),
        "local_state": local_state,
        "updated_at": now,
    }
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "id")
    conn.execute(
        f"INSERT INTO {entity} ({names}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}",
        list(columns.values()),
    )


def outbox_rows(conn: sqlite3.Connection, entity: str, record_id: str) -> list[sqlite3.Row]:
    """The record's queued or sent mutations, oldest first."""
    return conn.execute(
        "SELECT * FROM outbox WHERE entity = ? AND record_id = ? ORDER BY mutation_id",
        (entity, record_id),
    ).fetchall()


def has_attention(conn: sqlite3.Connection, entity: str, record_id: str) -> bool:
    """Whether undismissed needs-attention items exist for the record."""
    row = conn.execute(
        "SELECT 1 FROM attention WHERE entity = ? AND record_id = ? LIMIT 1", (entity, record_id)
    ).fetchone()
    return row is not None


def household_busy(conn: sqlite3.Connection, household_id: str) -> bool:
    """Whether the household still has mutations to push or drafts in progress.

    Such a household survives its tombstone until it is not busy: nothing recorded in the
    field is dropped because a caseload changed (DESIGN §5).
    """
    row = conn.execute(
        """SELECT EXISTS (SELECT 1 FROM outbox WHERE household_id = :h)
               OR EXISTS (SELECT 1 FROM visit WHERE household_id = :h AND local_state = 'draft')
               OR EXISTS (SELECT 1 FROM interview
                          WHERE household_id = :h AND local_state = 'draft')""",
        {"h": household_id},
    ).fetchone()
    return bool(row[0])


def delete_household(conn: sqlite3.Connection, household_id: str) -> None:
    """Drop a household and everything stored under it, and its deferred tombstone."""
    for table in ENTITY_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE household_id = ?", (household_id,))
    conn.execute(
        "DELETE FROM deferred_tombstone WHERE entity = 'household' AND id = ?", (household_id,)
    )


def prune_history(conn: sqlite3.Connection, household_ids: Iterable[str]) -> int:
    """Delete synced visits/interviews beyond the latest 12 per household; return the count.

    Drafts are not history and do not count; pending and needs-attention records count
    towards the 12 but are never deleted.
    """
    ids = dumps(sorted(set(household_ids)))
    deleted = 0
    for table, time_column in HISTORY_TABLES.items():
        cursor = conn.execute(
            f"""DELETE FROM {table} WHERE id IN (
                    SELECT id FROM (
                        SELECT id, local_state, ROW_NUMBER() OVER (
                            PARTITION BY household_id ORDER BY {time_column} DESC, id DESC
                        ) AS position
                        FROM {table}
                        WHERE local_state != 'draft'
                          AND household_id IN (SELECT value FROM json_each(?))
                    ) WHERE position > ? AND local_state = 'synced')""",
            (ids, KEEP_PER_HOUSEHOLD),
        )
        deleted += cursor.rowcount
    return deleted


# ---------------------------------------------------------------- state transitions
# The row-level rules of sync.store: each runs inside the caller's write transaction.


def rewrite(
    conn: sqlite3.Connection,
    entity: str,
    row: sqlite3.Row,
    data: dict[str, Any],
    server: dict[str, Any] | None,
    local_state: str,
    now: str,
    version: int | None = None,
) -> None:
    """Rewrite a stored record (``version`` None keeps the stored one)."""
    put_record(
        conn,
        entity,
        row["id"],
        data=data,
        server=server,
        version=row["version"] if version is None else version,
        local_state=local_state,
        now=now,
    )


def settle(conn: sqlite3.Connection, entity: str, record_id: str, now: str) -> None:
    """Recompute a non-draft record's local state and shown data from what is known.

    Pending while mutations remain; else attention while undismissed items remain; else
    synced to the server copy. A record the server never accepted that has nothing pending
    any more becomes a draft again, so nothing typed in is lost. A visit/interview keeps
    the advisor's data while not synced; a household (edited per field) shows the server
    copy with the pending edits on top.
    """
    row = get_record(conn, entity, record_id)
    if row is None or row["local_state"] == "draft":
        return
    data, server = loads(row["data"]), server_copy(row)
    payloads = [loads(r["payload"]) for r in outbox_rows(conn, entity, record_id)]
    if payloads:
        state = "pending"
    elif has_attention(conn, entity, record_id):
        state = "attention"
    elif server is not None:
        state, data = "synced", server
    else:
        state, data = "draft", {**data, "status": "draft"}
    if entity == "household" and server is not None and state != "synced":
        data = server
        for payload in payloads:
            data = {**data, **payload}
    rewrite(conn, entity, row, data, server, state, now)


def acknowledge(conn: sqlite3.Connection, mutation: sqlite3.Row, version: int, now: str) -> None:
    """The server applied ``mutation`` (now gone from the outbox) at ``version``."""
    entity, record_id = mutation["entity"], mutation["record_id"]
    row = get_record(conn, entity, record_id)
    if row is None:
        return
    server = server_copy(row)
    if server is None or (server.get("version") or 0) <= version:
        # What the server now holds, as far as the tablet knows; the next pull brings the
        # server's own rendering at this version (not lower, so it is applied). A newer
        # server copy already includes the mutation and is kept.
        base = (server or loads(row["data"])) if entity == "household" else {}
        server = {**base, **loads(mutation["payload"]), "version": version}
    newest = max(row["version"] or 0, version)
    rewrite(conn, entity, row, loads(row["data"]), server, row["local_state"], now, newest)
    settle(conn, entity, record_id, now)


def flag(conn: sqlite3.Connection, mutation: sqlite3.Row, result: dict[str, Any], now: str) -> None:
    """The server answered ``mutation`` with conflict/rejected: keep it in ``attention``."""
    errors = result.get("errors")
    if errors is None and result.get("fields"):
        message = "Changed on the server too; the server's value was kept."
        errors = {field: [message] for field in result["fields"]}
    server = result.get("server")
    conn.execute(
        """INSERT INTO attention (mutation_id, entity, record_id, household_id, op, status,
                                  reason, errors, server, payload, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            mutation["mutation_id"],
            mutation["entity"],
            mutation["record_id"],
            mutation["household_id"],
            mutation["op"],
            result["status"],
            result.get("reason"),
            None if errors is None else dumps(errors),
            None if server is None else dumps(server),
            mutation["payload"],
            now,
        ),
    )
    entity, record_id = mutation["entity"], mutation["record_id"]
    row = get_record(conn, entity, record_id)
    if row is None:
        return
    if isinstance(server, dict) and (server.get("version") or 0) >= (row["version"] or 0):
        version = server.get("version") or None
        rewrite(conn, entity, row, loads(row["data"]), server, row["local_state"], now, version)
    settle(conn, entity, record_id, now)


def apply_change(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    version: int,
    data: dict[str, Any],
    now: str,
) -> str:
    """Upsert one pulled record; return ``applied`` or ``ignored`` (older than stored)."""
    row = get_record(conn, entity, record_id)
    if row is not None and version < (row["version"] or 0):
        return "ignored"
    if entity == "household":
        # Back in the caseload (its bundle is being sent again): the old tombstone is void.
        conn.execute(
            "DELETE FROM deferred_tombstone WHERE entity = 'household' AND id = ?", (record_id,)
        )
    if row is None or row["local_state"] == "synced":
        put_record(
            conn,
            entity,
            record_id,
            data=data,
            server=data,
            version=version,
            local_state="synced",
            now=now,
        )
    else:
        rewrite(conn, entity, row, loads(row["data"]), data, row["local_state"], now, version)
        settle(conn, entity, record_id, now)
    return "applied"


def apply_tombstone(
    conn: sqlite3.Connection,
    entity: str,
    record_id: str,
    version: int,
    reason: str | None,
    now: str,
) -> str:
    """Apply one pulled deletion; return ``deleted``, ``deferred`` or ``ignored``."""
    row = get_record(conn, entity, record_id)
    if row is not None and version < (row["version"] or 0):
        return "ignored"
    if entity == "household":
        if household_busy(conn, record_id):
            conn.execute(
                """INSERT OR REPLACE INTO deferred_tombstone
                   (entity, id, version, reason, created_at) VALUES (?, ?, ?, ?, ?)""",
                (entity, record_id, version, reason, now),
            )
            return "deferred"
        delete_household(conn, record_id)
        return "deleted"
    if row is None:
        return "ignored"
    if row["local_state"] == "synced":
        conn.execute(f"DELETE FROM {entity} WHERE id = ?", (record_id,))
    else:
        # The advisor's own unsent work stays; only the server copy is forgotten.
        rewrite(conn, entity, row, loads(row["data"]), None, row["local_state"], now)
    return "deleted"


def apply_deferred(conn: sqlite3.Connection) -> None:
    """Apply the deferred household tombstones whose household is no longer busy."""
    waiting = conn.execute("SELECT id FROM deferred_tombstone WHERE entity = 'household'")
    for (household_id,) in waiting.fetchall():
        if not household_busy(conn, household_id):
            delete_household(conn, household_id)


# ---------------------------------------------------------------------- wire format


def wire_mutation(row: sqlite3.Row) -> dict[str, Any]:
    """An outbox row in the push wire format."""
    return {
        "mutation_id": row["mutation_id"],
        "entity": row["entity"],
        "op": row["op"],
        "id": row["record_id"],
        "base_version": row["base_version"],
        "data": loads(row["payload"]),
    }


def check_change(change: dict[str, Any]) -> tuple[str, str, int]:
    """The (entity, id, version) of a pulled change; ValueError if it is malformed."""
    entity, record_id, version = change.get("entity"), change.get("id"), change.get("version")
    if not isinstance(entity, str) or not isinstance(record_id, str) or not record_id:
        raise ValueError(f"pulled change without entity/id: {change!r}")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"pulled {entity} {record_id} has no integer version")
    if not change.get("deleted"):
        data = change.get("data")
        if not isinstance(data, dict):
            raise ValueError(f"pulled {entity} {record_id} has no data")
        if entity in ENTITY_TABLES and entity != "household" and not data.get("household_id"):
            raise ValueError(f"pulled {entity} {record_id} has no household_id")
    return entity, record_id, version
