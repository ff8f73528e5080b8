"""What the tablet's screens read from the store: households, histories, due list, checksum."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sync.policy import DEFAULT_POLICY, HouseholdFacts, Override, Policy, cycle_for
from sync.protocol import ENTITIES, HISTORY_TIME_FIELDS, PUSH_ONLY_ENTITIES
from sync.schedule import DEFAULT_TZ, completed_days, status
from sync.store_rows import get_record, loads

_LEVEL_ORDER = "CASE level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END"


class StoreReads:
    """Read helpers of :class:`sync.store.SQLiteStore` (a mixin: it needs ``_read`` and
    ``_as_dict`` from the store)."""

    def record(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """One stored record (with ``version`` and ``local_state``), or None."""
        if entity not in ENTITIES and entity not in PUSH_ONLY_ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        with self._read() as conn:
            row = get_record(conn, entity, record_id)
        return None if row is None else self._as_dict(row)

    def households(self) -> list[dict[str, Any]]:
        """All households on the tablet, by head's name."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM household ORDER BY head_name, id").fetchall()
        return [self._as_dict(row) for row in rows]

    def household(self, household_id: str) -> dict[str, Any] | None:
        """One household with its members under ``persons``, or None."""
        with self._read() as conn:
            row = get_record(conn, "household", household_id)
            persons = conn.execute(
                "SELECT * FROM person WHERE household_id = ? ORDER BY name, id", (household_id,)
            ).fetchall()
        if row is None:
            return None
        return {**self._as_dict(row), "persons": [self._as_dict(p) for p in persons]}

    def visits_for(self, household_id: str) -> list[dict[str, Any]]:
        """The household's visits on the tablet (drafts included), newest first."""
        return self._history("visit", household_id)

    def interviews_for(self, household_id: str) -> list[dict[str, Any]]:
        """The household's interviews on the tablet (drafts included), newest first."""
        return self._history("interview", household_id)

    def _history(self, entity: str, household_id: str) -> list[dict[str, Any]]:
        column = HISTORY_TIME_FIELDS[entity]
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT * FROM {entity} WHERE household_id = ? ORDER BY {column} DESC, id DESC",
                (household_id,),
            ).fetchall()
        return [self._as_dict(row) for row in rows]

    def open_warnings(self) -> list[dict[str, Any]]:
        """Warnings still open or being verified, most severe first, then oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                f"""SELECT * FROM warning WHERE status IN ('open', 'verifying')
                    ORDER BY {_LEVEL_ORDER}, raised_at, id"""
            ).fetchall()
        return [self._as_dict(row) for row in rows]

    def due_list(
        self, today: date, *, tz: str = DEFAULT_TZ, policy: Policy = DEFAULT_POLICY
    ) -> list[dict[str, Any]]:
        """Each active household's visit status on ``today``, worst first (DESIGN §4).

        Items are ``{"household": …, "schedule": ScheduleStatus}``. The cycle is the
        server's ``visit_cycle``; a household without one (not yet synced with it) gets
        ``policy``'s cycle. Counting visits are this tablet's, as on the server
        (:func:`sync.schedule.completed_days`). Households enrolled after ``today`` are left
        out.
        """
        with self._read() as conn:
            households = conn.execute(
                "SELECT * FROM household WHERE status IS NOT 'closed'"
            ).fetchall()
            visits = conn.execute(
                "SELECT household_id, data FROM visit WHERE outcome = 'completed'"
            ).fetchall()
            persons = conn.execute("SELECT household_id, data FROM person").fetchall()
        by_household: dict[str, list[dict[str, Any]]] = {}
        for row in visits:
            visit = loads(row["data"])
            visit["visited_at"] = datetime.fromisoformat(visit["visited_at"])
            by_household.setdefault(row["household_id"], []).append(visit)
        members: dict[str, list[tuple[str, str]]] = {}
        for row in persons:
            person = loads(row["data"])
            members.setdefault(row["household_id"], []).append(
                (person["health"], person["labour_capacity"])
            )
        items = []
        for row in households:
            household = self._as_dict(row)
            enrolled_on = date.fromisoformat(household["enrolled_on"])
            if enrolled_on > today:
                continue
            cycle = household.get("visit_cycle") or _policy_cycle(
                household, members.get(row["id"], []), policy, today
            )
            days = completed_days(by_household.get(row["id"], []), tz)
            since = household.get("cycle_since")
            schedule = status(
                cycle,
                days,
                enrolled_on,
                today,
                cycle_since=date.fromisoformat(since) if since else None,
            )
            items.append({"household": household, "schedule": schedule})
        items.sort(
            key=lambda item: (
                -item["schedule"].state.rank,
                -item["schedule"].missed_periods,
                item["schedule"].days_left,
                item["household"]["head_name"],
            )
        )
        return items

    def checksum(self) -> str:
        """A SHA-256 over every synced record's (entity, id, version, data).

        Two tablets that hold the same server state give the same value, whatever order
        they received it in (data is stored as canonical JSON).
        """
        digest = hashlib.sha256()
        with self._read() as conn:
            for entity in ENTITIES:
                rows = conn.execute(
                    f"""SELECT id, version, data FROM {entity}
                        WHERE local_state = 'synced' ORDER BY id"""
                )
                for row in rows:
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
