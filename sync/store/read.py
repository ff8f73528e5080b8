"""What the tablet's screens read from the store: households, histories, due list, checksum."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sync.policy import HouseholdFacts, Override, Policy, cycle_for
from sync.protocol import ENTITIES, HISTORY_TIME_FIELDS, PUSH_ONLY_ENTITIES
from sync.schedule import completed_days, status
from sync.store import rows
from sync.store.tx import Tx

_LEVEL_ORDER = "CASE level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END"


def record(tx: Tx, entity: str, record_id: str) -> dict[str, Any] | None:
    """One stored record, or None; ValueError for an entity the store does not keep."""
    if entity not in ENTITIES and entity not in PUSH_ONLY_ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    row = rows.get_record(tx.conn, entity, record_id)
    return None if row is None else rows.as_dict(row)


def households(tx: Tx) -> list[dict[str, Any]]:
    """All households, by head's name."""
    found = tx.conn.execute("SELECT * FROM household ORDER BY head_name, id").fetchall()
    return [rows.as_dict(row) for row in found]


def household(tx: Tx, household_id: str) -> dict[str, Any] | None:
    """One household with its members under ``persons``, or None."""
    row = rows.get_record(tx.conn, "household", household_id)
    if row is None:
        return None
    persons = tx.conn.execute(
        "SELECT * FROM person WHERE household_id = ? ORDER BY name, id", (household_id,)
    ).fetchall()
    return {**rows.as_dict(row), "persons": [rows.as_dict(p) for p in persons]}


def history(tx: Tx, entity: str, household_id: str) -> list[dict[str, Any]]:
    """A household's visits or interviews (drafts included), newest first."""
    column = HISTORY_TIME_FIELDS[entity]
    found = tx.conn.execute(
        f"SELECT * FROM {entity} WHERE household_id = ? ORDER BY {column} DESC, id DESC",
        (household_id,),
    ).fetchall()
    return [rows.as_dict(row) for row in found]


# Key columns hold UTC (rows.utc_iso), so text order is time order whatever the offsets.
# Each kind is walked newest first on its time index (schema v5) and stops at the limit;
# only those few rows are merged, joined to their households and sorted.
_NEWEST = """SELECT * FROM (
    SELECT '{entity}' AS entity, id, {household} AS household_id, version, local_state,
           data, {at} AS at
    FROM {entity}
    WHERE (? IS NULL OR json_extract(data, '$.advisor_id') = ?)
      AND (? IS NULL OR {status} = ?)
    ORDER BY {at} DESC, id DESC LIMIT ?)"""
_FIELDWORK = f"""
    SELECT r.*, h.data AS h_data, h.version AS h_version, h.local_state AS h_state
    FROM ({
    " UNION ALL ".join(
        _NEWEST.format(entity=entity, at=at, household=household, status=status)
        for entity, at, household, status in (
            ("visit", "visited_at", "household_id", "status"),
            ("interview", "interviewed_at", "household_id", "status"),
            ("lead", "found_at", "NULL", "json_extract(data, '$.status')"),
        )
    )
}) AS r
    LEFT JOIN household AS h ON h.id = r.household_id
    ORDER BY r.at DESC, r.id DESC
    LIMIT ?"""


def fieldwork(
    tx: Tx, advisor_id: int | None, limit: int | None, status: str | None = None
) -> list[dict[str, Any]]:
    """Visits, interviews and leads, newest first, each with ``entity`` and ``household``
    (see :meth:`sync.store.SQLiteStore.fieldwork`): one query, households decoded once."""
    most = -1 if limit is None else limit  # -1: no limit
    each = (advisor_id, advisor_id, status, status, most)
    found = tx.conn.execute(_FIELDWORK, each * 3 + (most,))
    homes: dict[str, dict[str, Any]] = {}
    items = []
    for row in found:
        record = rows.as_dict(row)
        home = row["household_id"]
        if home is not None and row["h_data"] is not None and home not in homes:
            homes[home] = rows.as_dict(
                {"data": row["h_data"], "version": row["h_version"], "local_state": row["h_state"]}
            )
        items.append({**record, "entity": row["entity"], "household": homes.get(home)})
    return items


def open_warnings(tx: Tx) -> list[dict[str, Any]]:
    """Warnings open or being verified, most severe first, then oldest first."""
    found = tx.conn.execute(
        f"""SELECT * FROM warning WHERE status IN ('open', 'verifying')
            ORDER BY {_LEVEL_ORDER}, raised_at, id"""
    ).fetchall()
    return [rows.as_dict(row) for row in found]


def due_list(
    tx: Tx, today: date, tz: str, policy: Policy, only: str | None = None
) -> list[dict[str, Any]]:
    """Each active household's visit status on ``today``, worst first (see
    :meth:`sync.store.SQLiteStore.due_list`); ``only`` one household's (after a save the
    tablet updates that row instead of recomputing them all)."""
    # One household after a save reads by its indexes (household_id); "? IS NULL OR …"
    # would scan every table for it.
    one, args = ("= ?", (only,)) if only is not None else ("IS NOT NULL", ())
    active = tx.conn.execute(
        f"SELECT * FROM household WHERE status IS NOT 'closed' AND id {one}", args
    ).fetchall()
    # The key columns (visited_at in UTC, outcome, status) and two member fields read in
    # SQL: decoding every visit's JSON was half the recompute at 2,000 households.
    visits = tx.conn.execute(
        "SELECT household_id, visited_at, status FROM visit"
        f" WHERE household_id {one} AND outcome = 'completed'",
        args,
    ).fetchall()
    by_household: dict[str, list[tuple[datetime, str, str]]] = {}
    for home, visited_at, record_status in visits:
        by_household.setdefault(home, []).append(
            (datetime.fromisoformat(visited_at), "completed", record_status)
        )
    members: dict[str, list[tuple[str, str]]] = {}
    for home, health, capacity in tx.conn.execute(
        "SELECT household_id, json_extract(data, '$.health'), json_extract(data,"
        f" '$.labour_capacity') FROM person WHERE household_id {one}",
        args,
    ):
        members.setdefault(home, []).append((health, capacity))
    items = []
    for row in active:
        shown = rows.as_dict(row)
        enrolled_on = date.fromisoformat(shown["enrolled_on"])
        if enrolled_on > today:
            continue
        cycle = shown.get("visit_cycle") or _policy_cycle(
            shown, members.get(row["id"], []), policy, today
        )
        days = completed_days(by_household.get(row["id"], []), tz)
        since = shown.get("cycle_since")
        schedule = status(
            cycle,
            days,
            enrolled_on,
            today,
            cycle_since=date.fromisoformat(since) if since else None,
        )
        items.append({"household": shown, "schedule": schedule})
    items.sort(
        key=lambda item: (
            -item["schedule"].state.rank,
            -item["schedule"].missed_periods,
            item["schedule"].days_left,
            item["household"]["head_name"],
        )
    )
    return items


def checksum(tx: Tx) -> str:
    """SHA-256 over every synced record's (entity, id, version, data)."""
    digest = hashlib.sha256()
    for entity in ENTITIES:
        found = tx.conn.execute(
            f"SELECT id, version, data FROM {entity} WHERE local_state = 'synced' ORDER BY id"
        )
        for row in found:
            line = f"{entity}\x1f{row['id']}\x1f{row['version']}\x1f{row['data']}\n"
            digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def _policy_cycle(
    household: dict[str, Any], members: list[tuple[str, str]], policy: Policy, today: date
) -> str:
    facts = HouseholdFacts(
        hardship_level=household["hardship_level"],
        categories=household.get("categories") or (),
        members=members,
        override=Override.from_stored(household.get("cycle_override")),
    )
    return cycle_for(facts, policy, today)[0]
