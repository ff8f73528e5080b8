"""The tablet store's tables and their migrations by ``PRAGMA user_version``."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sync.protocol import canonical_json

# Layout (schema version 4; version 2 added ``outbox.author_id``, 3 ``repull_seen``, 4 the
# ``lead`` table):
#
# - one table per entity — ``household``, ``person``, ``visit``, ``interview``, ``warning`` —
#   with ``id`` (TEXT PK), ``household_id`` (a household's own id for ``household``, so one
#   ``DELETE … WHERE household_id = ?`` per table drops a household's bundle), ``version``
#   (the newest server version known), a few key columns for queries, ``data`` (the wire
#   record as canonical JSON: what the tablet shows), ``server_data`` (the last server copy
#   when it differs from ``data``, i.e. while the record is not ``synced``; NULL otherwise)
#   and ``local_state`` (``synced`` | ``draft`` | ``pending`` | ``attention``);
# - ``lead`` (走访发现, push only: :data:`sync.protocol.PUSH_ONLY_ENTITIES`), laid out the
#   same way; a lead belongs to no household, so its ``household_id`` is its own id;
# - ``outbox``: queued push mutations, ``mutation_id`` AUTOINCREMENT so an id is never reused
#   even after its row is deleted;
# - ``attention``: pushes the server answered ``conflict`` or ``rejected``, kept (with the
#   payload sent) until the advisor dismisses them;
# - ``deferred_tombstone``: household tombstones waiting while the household is busy
#   (:func:`sync.store.rows.household_busy`);
# - ``sync_state``: key → JSON value (cursor, device_id, token, server_url, user, …);
# - ``repull_seen``: (entity, id) sent by a pull from the start still under way.
#
# A record's ``local_state``: ``draft`` (the advisor's, never pushed), ``pending`` (mutations
# in the outbox), ``attention`` (undismissed conflict/rejection), else ``synced``.
#
# There are no foreign keys between entity tables on purpose: a pull page is ordered by
# version, not parent-first, so a person may arrive before its household.
LOCAL_STATES = ("synced", "draft", "pending", "attention")


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
        [
            ("device_id", canonical_json(f"tablet-{uuid.uuid4()}")),
            ("created_at", canonical_json(now)),
        ],
    )


def _v2_outbox_author(conn: sqlite3.Connection) -> None:
    # Who made each queued mutation: a tablet that changes hands delivers the earlier
    # advisor's records on their behalf. Rows from before this are the signed-in user's.
    conn.execute("ALTER TABLE outbox ADD COLUMN author_id INTEGER")
    conn.execute("CREATE INDEX ix_outbox_author ON outbox (author_id)")


def _v3_repull_seen(conn: sqlite3.Connection) -> None:
    # What a pull from the start (the server refused an old cursor) sent again, so what it
    # did not send can go when it ends: :mod:`sync.store.repull`.
    conn.execute(
        """CREATE TABLE repull_seen (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            PRIMARY KEY (entity, id)
        ) WITHOUT ROWID"""
    )


def _v4_leads(conn: sqlite3.Connection) -> None:
    # Households found in the field (走访发现): saved with their outbox row like any record,
    # never pulled back, so the advisor's receipt is all the tablet keeps of them.
    conn.execute(_entity_table("lead", "found_at TEXT, head_name TEXT,"))
    conn.execute("CREATE INDEX ix_lead_found ON lead (found_at)")


def _v5_fieldwork_by_time(conn: sqlite3.Connection) -> None:
    # 我的记录 reads the newest records of all households: walked newest first through
    # these, it stops after the rows it shows instead of sorting every visit (issue 17).
    conn.execute("CREATE INDEX ix_visit_at ON visit (visited_at, id)")
    conn.execute("CREATE INDEX ix_interview_at ON interview (interviewed_at, id)")


# Index i upgrades user_version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_initial,
    _v2_outbox_author,
    _v3_repull_seen,
    _v4_leads,
    _v5_fieldwork_by_time,
]


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
