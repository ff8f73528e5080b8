"""Row-level SQL of the tablet store on a bare connection: records, outbox, busy, wire form."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sync.protocol import (
    ENTITIES,
    HISTORY_PER_HOUSEHOLD,
    HISTORY_TIME_FIELDS,
    canonical_json,
)

# ---------------------------------------------------------------------------- values


def loads(text: str | None) -> Any:
    """Decode JSON text stored by :func:`sync.protocol.canonical_json`; ``None`` stays ``None``."""
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
    "lead": {
        "found_at": lambda d: utc_iso(d.get("found_at")),
        "head_name": lambda d: d.get("head_name"),
    },
}

# Records that are their own "household" for the household_id column (bundles, outbox).
_OWN_HOUSEHOLD = frozenset({"household", "lead"})


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
    columns = record_columns(entity, record_id, data, server, version, local_state, now)
    conn.execute(upsert_sql(entity, list(columns)), list(columns.values()))


def record_columns(
    entity: str,
    record_id: str,
    data: dict[str, Any],
    server: dict[str, Any] | None,
    version: int | None,
    local_state: str,
    now: str,
) -> dict[str, Any]:
    """The stored row of one record (see :func:`put_record`), column by column."""
    household_id = record_id if entity in _OWN_HOUSEHOLD else data.get("household_id")
    if not household_id:
        raise ValueError(f"{entity} {record_id} has no household_id")
    keys = {name: derive(data) for name, derive in KEY_COLUMNS[entity].items()}
    return {
        "id": record_id,
        "household_id": str(household_id),
        "version": version,
        **keys,
        "data": canonical_json(data),
        "server_data": None
        if local_state == "synced" or server is None
        else canonical_json(server),
        "local_state": local_state,
        "updated_at": now,
    }


def upsert_sql(entity: str, names: list[str]) -> str:
    """``INSERT … ON CONFLICT (id) DO UPDATE`` of these columns of one entity's table."""
    marks = ", ".join("?" for _ in names)
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "id")
    return (
        f"INSERT INTO {entity} ({', '.join(names)}) VALUES ({marks}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def as_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A stored record as the store hands it out: its data plus ``version`` and
    ``local_state``."""
    record = loads(row["data"])
    record["version"] = row["version"]
    record["local_state"] = row["local_state"]
    return record


def read_state(conn: sqlite3.Connection, key: str) -> Any:
    """The JSON value stored under ``key`` in ``sync_state``, or None."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else loads(row[0])


def write_state(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Store a JSON value under ``key`` in ``sync_state``; None deletes the key."""
    if value is None:
        conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
            (key, canonical_json(value)),
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


# The one definition of a busy household: something of the advisor's is not settled with
# the server — a mutation in the outbox (queued, or sent without an answer), a needs-
# attention item (refused or in conflict, until the advisor dismisses it), or a visit or
# interview that is a draft, pending or flagged. A busy household outlives its tombstone, a
# pull from the start and a change of hands, so nothing recorded in the field is dropped
# because a caseload changed (DESIGN §5). One (table, condition) per reason, rendered both
# as a set (:data:`BUSY_HOUSEHOLDS`) and as a per-household test (:func:`household_busy`).
_BUSY_WHEN = (
    ("outbox", "1"),  # every row: queued, or sent and not answered
    # The column allows NULL, and one NULL in a NOT IN list makes it match nothing.
    ("attention", "household_id IS NOT NULL"),
    ("visit", "local_state != 'synced'"),
    ("interview", "local_state != 'synced'"),
)
# The ids of every busy household, as a subquery.
BUSY_HOUSEHOLDS = " UNION ".join(
    f"SELECT household_id FROM {table} WHERE {condition}" for table, condition in _BUSY_WHEN
)
# One EXISTS per reason: index look-ups, but for attention (a few undismissed rows).
_ONE_BUSY = "SELECT " + " OR ".join(
    f"EXISTS (SELECT 1 FROM {table} WHERE household_id = :h AND {condition})"
    for table, condition in _BUSY_WHEN
)


def household_busy(conn: sqlite3.Connection, household_id: str) -> bool:
    """Whether the household is busy (see ``_BUSY_WHEN``): its tombstone must wait."""
    return bool(conn.execute(_ONE_BUSY, {"h": household_id}).fetchone()[0])


def defer_tombstone(
    conn: sqlite3.Connection, household_id: str, version: int | None, reason: str | None, now: str
) -> None:
    """Keep a busy household's tombstone until it is not busy (:func:`household_busy`)."""
    conn.execute(
        """INSERT OR REPLACE INTO deferred_tombstone (entity, id, version, reason, created_at)
           VALUES ('household', ?, ?, ?, ?)""",
        (household_id, version, reason, now),
    )


def forget_tombstones(conn: sqlite3.Connection, household_ids: Iterable[str]) -> None:
    """Forget these households' deferred tombstones, if any."""
    conn.executemany(
        "DELETE FROM deferred_tombstone WHERE entity = 'household' AND id = ?",
        [(household_id,) for household_id in household_ids],
    )


def delete_household(conn: sqlite3.Connection, household_id: str) -> None:
    """Drop a household and everything stored under it, and its deferred tombstone."""
    for table in ENTITIES:
        conn.execute(f"DELETE FROM {table} WHERE household_id = ?", (household_id,))
    forget_tombstones(conn, [household_id])


def prune_history(conn: sqlite3.Connection, household_ids: Iterable[str]) -> int:
    """Delete synced visits/interviews beyond the latest ``HISTORY_PER_HOUSEHOLD`` (12) per
    household, as the server's bundle does; return the count.

    Drafts are not history and do not count; pending, needs-attention and returned records
    (the advisor still has to act on them) count towards the 12 but are never deleted.
    """
    ids = canonical_json(sorted(set(household_ids)))
    deleted = 0
    for table, time_column in HISTORY_TIME_FIELDS.items():
        cursor = conn.execute(
            f"""DELETE FROM {table} WHERE id IN (
                    SELECT id FROM (
                        SELECT id, local_state, status, ROW_NUMBER() OVER (
                            PARTITION BY household_id ORDER BY {time_column} DESC, id DESC
                        ) AS position
                        FROM {table}
                        WHERE local_state != 'draft'
                          AND household_id IN (SELECT value FROM json_each(?))
                    ) WHERE position > ? AND local_state = 'synced'
                        AND COALESCE(status, '') != 'returned')""",
            (ids, HISTORY_PER_HOUSEHOLD),
        )
        deleted += cursor.rowcount
    return deleted


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
        if entity in ENTITIES and entity != "household" and not data.get("household_id"):
            raise ValueError(f"pulled {entity} {record_id} has no household_id")
    return entity, record_id, version
