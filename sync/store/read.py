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
    # "?" IS NULL keeps one statement for both: every household, or just ``only``.
    mine = (only,)
    active = tx.conn.execute(
        "SELECT * FROM household WHERE status IS NOT 'closed' AND (? IS NULL OR id = ?)",
        mine * 2,
    ).fetchall()
    visits = tx.conn.execute(
        "SELECT household_id, data FROM visit WHERE outcome = 'completed'"
        " AND (? IS NULL OR household_id = ?)",
        mine * 2,
    ).fetchall()
    persons = tx.conn.execute(
        "SELECT household_id, data FROM person WHERE ? IS NULL OR household_id = ?", mine * 2
    ).fetchall()
    by_household: dict[str, list[dict[str, Any]]] = {}
    for row in visits:
        visit = rows.loads(row["data"])
        visit["visited_at"] = datetime.fromisoformat(visit["visited_at"])
        by_household.setdefault(row["household_id"], []).append(visit)
    members: dict[str, list[tuple[str, str]]] = {}
    for row in persons:
        person = rows.loads(row["data"])
        members.setdefault(row["household_id"], []).append(
            (person["health"], person["labour_capacity"])
        )
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
