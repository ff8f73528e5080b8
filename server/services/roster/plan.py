"""The dry run: every row checked, matched by ``external_id`` and compared, set-wise."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session

from server.models import User
from server.services.core import scope
from server.services.core.bulk import collector_paused
from server.services.households import schedule
from server.services.roster import merge
from server.services.roster.areas import AreaIndex
from server.services.roster.existing import HEAD_COLUMNS, HOUSEHOLD_READ, MANAGED, existing, holders
from server.services.roster.reading import Table
from server.services.roster.values import HEAD_DEFAULTS, RowChecker, RowValues
from sync.policy import cycle_for
from sync.protocol import canonical_json
from sync.schedule import period_of


@dataclass
class RowResult:
    """One row's fate: create, update (``fields``: the columns changed), unchanged or
    refused (``errors``: ``(column, Chinese message)``); ``kept``: the columns whose value
    changed since the last import and stays, ``(column, Chinese message)``."""

    row: int
    external_id: str | None
    action: str = "unchanged"
    fields: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Write:
    """What one row writes: a new household and head, or the changes to existing ones
    (``{field: (old, new)}``). A new row's ids are None until :meth:`give_ids` (the
    import): a dry run needs none, and 100,000 random ids took a tenth of one."""

    row: int
    household_id: uuid.UUID | None
    household: dict[str, Any]
    head_id: uuid.UUID | None
    head: dict[str, Any]
    new: bool
    head_new: bool
    field_versions: dict = field(default_factory=dict)
    # What this import writes, per managed column (the next re-import's merge base).
    imported_values: dict = field(default_factory=dict)

    def give_ids(self) -> None:
        """Random ids for the new household and head this row writes."""
        if self.household_id is None:
            self.household_id = uuid.uuid4()
        if self.head_id is None:
            self.head_id = uuid.uuid4()


@dataclass
class Plan:
    """The dry run's answer, and what :func:`write.apply` needs to write it."""

    results: list[RowResult]
    writes: list[Write]
    encoding: str
    # Households whose row changes nothing but whose merge base is new (not versioned:
    # tablets never see it): ``{household id: imported_values}``.
    bases: dict[uuid.UUID, dict] = field(default_factory=dict)
    # How the file was read (reading.Table.notes), for the person to confirm.
    notes: list[str] = field(default_factory=list)

    @cached_property
    def fingerprint(self) -> str:
        """What the plan writes, hashed: the import of an approved dry run writes only if
        the database still gives the very same plan (new ids are random: left out)."""
        digest = hashlib.sha256()
        for write in self.writes:
            key = write.household.get("external_id") if write.new else str(write.household_id)
            item = [key, write.household, write.head, write.imported_values]
            digest.update(canonical_json(item, default=str).encode())
        for household_id in sorted(self.bases):
            item = [str(household_id), self.bases[household_id]]
            digest.update(canonical_json(item, default=str).encode())
        for result in self.results:
            digest.update(json.dumps([result.row, result.kept], default=str).encode())
        return digest.hexdigest()[:32]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("create", "update", "unchanged", "refused"), 0)
        for result in self.results:
            counts[result.action] += 1
        return counts

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.results if r.action == "refused"]


class _Checker:
    def __init__(self, session: Session, actor: User, table: Table, today: date) -> None:
        self.session = session
        self.table = table
        self.today = today
        self.rows = RowChecker(table.columns, table.encoding)
        self.areas = AreaIndex(session)
        self.policy = schedule.get_policy(session)
        self.streets = None if actor.role == "admin" else scope.street_ids(session, actor)
        self._cycles: dict = {}
        self._advisors: dict[int, set[int]] = {}

    def advisor_streets(self, advisor_id: int) -> set[int]:
        """The streets an advisor works in (the console's reassignment rule)."""
        if advisor_id not in self._advisors:
            advisor = self.session.get(User, advisor_id)
            streets = scope.street_ids(self.session, advisor) if advisor else set()
            self._advisors[advisor_id] = streets
        return self._advisors[advisor_id]

    def _in_scope(self, *street_ids: int) -> bool:
        return self.streets is None or bool(set(street_ids) & self.streets)

    def values(self, progress: Callable[[int], None] | None) -> list[tuple[int, RowValues]]:
        checked = []
        for index, (number, cells) in enumerate(self.table.rows, 1):
            values = self.rows.check(cells)
            self.areas.resolve(values)
            checked.append((number, values))
            if progress and index % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(checked) % 1000)
        return checked

    def cycle(self, household: dict, persons: list) -> tuple[str, str]:
        """The policy's cycle for these facts as of today (the schedule's own rule; the
        answer is remembered, as few combinations of facts recur across a roster)."""
        override = household.get("cycle_override")
        key = (
            household["hardship_level"],
            tuple(household["categories"]),
            tuple((p.health, p.labour_capacity) for p in persons),
            tuple(sorted(override.items())) if override else None,
        )
        hit = self._cycles.get(key)
        if hit is None:
            known = {"cycle_override": override, **household, "persons": persons}
            facts = schedule.facts_of(SimpleNamespace(**known))
            cycle, reason = cycle_for(facts, self.policy, self.today)
            hit = self._cycles[key] = (cycle.value, reason)
        return hit


def _duplicates(checked: list[tuple[int, RowValues]]) -> None:
    """Refuse a household number or head's ID number that an earlier row already gave."""
    for key, where, column, what in (
        ("external_id", "household", "external_id", "家庭编号"),
        ("id_number", "head", "head_id_number", "身份证号"),
    ):
        first: dict[str, int] = {}
        for number, values in checked:
            value = getattr(values, where).get(key)
            if value is None:
                continue
            if value in first:
                values.errors.append((column, f"{what}与第 {first[value]} 行重复。"))
            else:
                first[value] = number


def check(
    session: Session,
    *,
    actor: User,
    table: Table,
    now: datetime,
    tz: str,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Check every row of ``table`` and say what importing it would do (writes nothing)."""
    with collector_paused():
        return _check(session, actor, table, schedule.local_today(tz, now), tz, progress)


def _check(session: Session, actor: User, table: Table, today: date, tz: str, progress) -> Plan:
    checker = _Checker(session, actor, table, today)
    checked = checker.values(progress)
    _duplicates(checked)
    external_ids = [v.household["external_id"] for _, v in checked if "external_id" in v.household]
    found = existing(session, external_ids)
    numbers = [v.head["id_number"] for _, v in checked if "id_number" in v.head]
    owners = holders(session, numbers)
    plan = Plan(results=[], writes=[], encoding=table.encoding, notes=list(table.notes))
    kept: dict[uuid.UUID, tuple[RowResult, list[str]]] = {}
    for number, values in checked:
        result = RowResult(number, values.household.get("external_id"))
        current = found.get(result.external_id)
        _check_scope_and_holders(checker, values, current, owners)
        write = None if values.errors else _compare(checker, number, values, current, plan)
        if values.errors:
            result.action, result.errors = "refused", values.errors
        elif write is not None:
            plan.writes.append(write)
            result.action = "create" if write.new else "update"
            result.fields = [] if write.new else _columns_of(write)
        if current is not None and not values.errors and current.kept:
            kept[current.id] = (result, current.kept)
        plan.results.append(result)
    _report_kept(session, kept, tz)
    return plan


def _report_kept(session: Session, kept: dict, tz: str) -> None:
    """Each kept column's line, with the day it last changed (audit trail)."""
    days = merge.kept_days(session, {k: fields for k, (_, fields) in kept.items()}, tz)
    for household_id, (result, fields) in kept.items():
        result.kept = [
            (MANAGED[f], merge.kept_message(days.get((household_id, f)))) for f in fields
        ]


def _check_scope_and_holders(checker: _Checker, values: RowValues, current, holders) -> None:
    household = values.household
    if "registration_street_id" in household and not checker._in_scope(
        household["registration_street_id"], household["residence_street_id"]
    ):
        values.errors.append(("registration_street", "户籍街道和居住街道都不在您的辖区内。"))
    if current is not None and not checker._in_scope(
        current.registration_street_id, current.residence_street_id
    ):
        values.errors.append(("external_id", "该家庭编号已被您辖区以外的户使用。"))
    number = values.head.get("id_number")
    if number and holders.get(number, set()) - {household.get("external_id")}:
        values.errors.append(("head_id_number", "此人已是另一在册户的成员。"))
    if values.last_visit_on is not None and values.last_visit_on > checker.today:
        values.errors.append(("last_visit_on", "不得晚于今天。"))


def _check_assignee(checker: _Checker, values: RowValues, current, changes: dict) -> None:
    """An import that moves a household to other streets keeps it with an advisor of one
    of them (caseload.assignments.check_advisor's rule), or the supervisor of the new
    street could not see it while the advisor still visits it."""
    moved = {"registration_street_id", "residence_street_id"} & set(changes)
    if current.assigned_advisor_id is None or not moved:
        return
    streets = {
        changes.get("registration_street_id", current.registration_street_id),
        changes.get("residence_street_id", current.residence_street_id),
    }
    if not checker.advisor_streets(current.assigned_advisor_id) & streets:
        values.errors.append(
            ("registration_street", "负责社工不在该户的户籍或居住街道工作：请先在控制台改派。")
        )


def _columns_of(write: Write) -> list[str]:
    columns = [MANAGED[f] for f in write.household if f in MANAGED]
    columns += [HEAD_COLUMNS[f] for f in write.head if f in HEAD_COLUMNS]
    return list(dict.fromkeys(columns))


def _first_cycle_day(cycle: str, last_visit: date | None, today: date) -> date:
    """Where an imported household's first cycle starts: the period after its last visit
    (that visit's period was done), else the import's day — never its enrolment, which
    would make a long-enrolled household overdue for every period since."""
    if last_visit is None:
        return today
    return period_of(last_visit, cycle).next().start


def _compare(
    checker: _Checker, number: int, values: RowValues, current, plan: Plan
) -> Write | None:
    """The row's write, or None when it changes nothing (a new merge base goes to
    ``plan.bases``); a refusal goes to ``values.errors``."""
    given = values.household
    if current is None:
        household = {"status": "active", "notes": "", "phone": None, **given}
        head = {**HEAD_DEFAULTS, **values.head, "name": given["head_name"], "relation": "head"}
        cycle, reason = checker.cycle(household, [SimpleNamespace(**head)])
        since = _first_cycle_day(cycle, values.last_visit_on, checker.today)
        household |= {"visit_cycle": cycle, "cycle_since": since}
        household["cycle_reason"] = reason
        imported = {k: merge.plain(v) for k, v in given.items() if k != "external_id"}
        return Write(number, None, household, None, head, True, True, {}, imported)
    changes, current.kept, imported = merge.three_way(given, current)
    _check_assignee(checker, values, current, changes)
    if values.errors:
        return None
    old_head = next((p for p in current.persons if p.relation == "head"), None)
    wanted = {**values.head, "name": changes.get("head_name", current.head_name)}
    if old_head is None:
        head = {**HEAD_DEFAULTS, **wanted, "relation": "head"}
        head_changes = head
    else:
        head_changes = {k: v for k, v in wanted.items() if getattr(old_head, k) != v}
    if not changes and not head_changes:
        if imported != current.imported_values:
            plan.bases[current.id] = imported
        return None
    persons = [p for p in current.persons if p is not old_head]
    head_now = SimpleNamespace(**(vars(old_head) if old_head else {}))
    head_now.__dict__.update(head_changes)
    merged = {c: getattr(current, c) for c in HOUSEHOLD_READ} | changes
    cycle, reason = checker.cycle(merged, [*persons, head_now])
    if cycle != current.visit_cycle:
        changes |= {"visit_cycle": cycle, "cycle_since": checker.today, "cycle_reason": reason}
    old = {k: getattr(current, k) for k in changes if k != "cycle_reason"}
    head_old = {k: getattr(old_head, k) for k in head_changes} if old_head else {}
    return Write(
        number,
        current.id,
        {k: (old.get(k), v) for k, v in changes.items()},
        old_head.id if old_head else None,
        {k: (head_old.get(k), v) for k, v in head_changes.items()},
        False,
        old_head is None,
        current.field_versions or {},
        imported,
    )
