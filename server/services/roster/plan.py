"""The dry run: every row checked, matched by ``external_id`` and compared, set-wise."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ARRAY, any_, bindparam, select
from sqlalchemy.orm import Session

from server.models import Household, Person, User
from server.services.core import scope
from server.services.households import schedule
from server.services.roster.areas import AreaIndex
from server.services.roster.reading import Table
from server.services.roster.values import HEAD_DEFAULTS, RowChecker, RowValues
from sync.policy import cycle_for

CHUNK = 5000  # ids per IN (...) query: well under any driver's parameter limit
# Household columns an import sets, and the column of the file each one comes from.
MANAGED = {
    "external_id": "external_id",
    "head_name": "head_name",
    "phone": "phone",
    "residence_address": "residence_address",
    "registration_street_id": "registration_street",
    "registration_community_id": "registration_community",
    "residence_street_id": "residence_street",
    "residence_community_id": "residence_community",
    "categories": "categories",
    "hardship_level": "hardship_level",
    "enrolled_on": "enrolled_on",
    "status": "status",
    "notes": "notes",
}
HEAD_COLUMNS = {
    "name": "head_name",
    "id_number": "head_id_number",
    "gender": "head_id_number",
    "birth_date": "head_id_number",
    "health": "head_health",
    "labour_capacity": "head_labour_capacity",
    "employment": "head_employment",
}
_HOUSEHOLD_READ = (
    "id",
    *MANAGED,
    "visit_cycle",
    "cycle_since",
    "cycle_override",
    "field_versions",
)
_PERSON_READ = ("id", "household_id", "relation", *HEAD_COLUMNS)


@dataclass
class RowResult:
    """One row's fate: create, update (``fields``: the columns changed), unchanged or
    refused (``errors``: ``(column, Chinese message)``)."""

    row: int
    external_id: str | None
    action: str = "unchanged"
    fields: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Write:
    """What one row writes: a new household and head, or the changes to existing ones
    (``{field: (old, new)}``)."""

    row: int
    household_id: uuid.UUID
    household: dict[str, Any]
    head_id: uuid.UUID
    head: dict[str, Any]
    new: bool
    head_new: bool
    field_versions: dict = field(default_factory=dict)


@dataclass
class Plan:
    """The dry run's answer, and what :func:`write.apply` needs to write it."""

    results: list[RowResult]
    writes: list[Write]
    encoding: str

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("create", "update", "unchanged", "refused"), 0)
        for result in self.results:
            counts[result.action] += 1
        return counts

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.results if r.action == "refused"]


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _one_of(session: Session, column, values: list):
    """``column IN values``: on PostgreSQL one array parameter (``= ANY(:values)``), as an
    IN list of thousands of parameters spends longer being built and parsed than run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _batches(session: Session, items: list) -> Iterable[list]:
    """``items`` in as many queries as the database needs (one on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return [items] if items else []
    return _chunks(items)


def _existing(session: Session, external_ids: list[str]) -> dict[str, SimpleNamespace]:
    """The households already holding these numbers, with their members.

    Read with Core and plain tuples: building ORM rows for 100,000 households took
    longer than the query.
    """
    connection = session.connection()
    columns = [Household.__table__.c[c] for c in _HOUSEHOLD_READ]
    found: dict[str, SimpleNamespace] = {}
    for chunk in _batches(session, external_ids):
        stmt = select(*columns).where(_one_of(session, columns[1], chunk))
        for row in connection.execute(stmt):
            household = SimpleNamespace(**dict(zip(_HOUSEHOLD_READ, row, strict=True)))
            household.persons = []
            found[household.external_id] = household
    by_id = {h.id: h for h in found.values()}
    person_columns = [Person.__table__.c[c] for c in _PERSON_READ]
    for chunk in _batches(session, list(by_id)):
        stmt = select(*person_columns).where(_one_of(session, person_columns[1], chunk))
        for row in connection.execute(stmt.order_by(Person.__table__.c.birth_date)):
            person = SimpleNamespace(**dict(zip(_PERSON_READ, row, strict=True)))
            by_id[person.household_id].persons.append(person)
    return found


def _holders(session: Session, numbers: list[str]) -> dict[str, set[str]]:
    """ID number → the external ids of the active households it is a member of."""
    holders: dict[str, set[str]] = {}
    stmt = select(Person.id_number, Household.external_id).join(
        Household, Person.household_id == Household.id
    )
    for chunk in _batches(session, numbers):
        query = stmt.where(_one_of(session, Person.id_number, chunk), Household.status == "active")
        for number, external_id in session.execute(query):
            holders.setdefault(number, set()).add(external_id)
    return holders


class _Checker:
    def __init__(self, session: Session, actor: User, table: Table, today: date) -> None:
        self.session = session
        self.table = table
        self.today = today
        self.rows = RowChecker(table.columns)
        self.areas = AreaIndex(session)
        self.policy = schedule.get_policy(session)
        self.streets = None if actor.role == "admin" else scope.street_ids(session, actor)
        self._cycles: dict = {}

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
            facts = schedule.facts_of(SimpleNamespace(**household, persons=persons))
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
    today = schedule.local_today(tz, now)
    checker = _Checker(session, actor, table, today)
    checked = checker.values(progress)
    _duplicates(checked)
    external_ids = [v.household["external_id"] for _, v in checked if "external_id" in v.household]
    existing = _existing(session, external_ids)
    numbers = [v.head["id_number"] for _, v in checked if "id_number" in v.head]
    holders = _holders(session, numbers)
    results, writes = [], []
    for number, values in checked:
        result = RowResult(number, values.household.get("external_id"))
        current = existing.get(result.external_id)
        _check_scope_and_holders(checker, values, current, holders)
        if values.errors:
            result.action, result.errors = "refused", values.errors
        else:
            write = _compare(checker, number, values, current)
            if write is not None:
                writes.append(write)
                result.action = "create" if write.new else "update"
                result.fields = [] if write.new else _columns_of(write)
        results.append(result)
    return Plan(results=results, writes=writes, encoding=table.encoding)


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


def _columns_of(write: Write) -> list[str]:
    columns = [MANAGED[f] for f in write.household if f in MANAGED]
    columns += [HEAD_COLUMNS[f] for f in write.head if f in HEAD_COLUMNS]
    return list(dict.fromkeys(columns))


def _compare(checker: _Checker, number: int, values: RowValues, current) -> Write | None:
    """The row's write, or None when it changes nothing."""
    given = values.household
    if current is None:
        household = {"status": "active", "notes": "", "phone": None, **given}
        head = {**HEAD_DEFAULTS, **values.head, "name": given["head_name"], "relation": "head"}
        cycle, reason = checker.cycle(
            household | {"cycle_override": None}, [SimpleNamespace(**head)]
        )
        household |= {"visit_cycle": cycle, "cycle_since": given["enrolled_on"]}
        household["cycle_reason"] = reason
        return Write(number, uuid.uuid4(), household, uuid.uuid4(), head, True, True)
    changes = {k: v for k, v in given.items() if getattr(current, k) != v}
    old_head = next((p for p in current.persons if p.relation == "head"), None)
    wanted = {**values.head, "name": given["head_name"]}
    if old_head is None:
        head = {**HEAD_DEFAULTS, **wanted, "relation": "head"}
        head_changes = head
    else:
        head_changes = {k: v for k, v in wanted.items() if getattr(old_head, k) != v}
    if not changes and not head_changes:
        return None
    persons = [p for p in current.persons if p is not old_head]
    head_now = SimpleNamespace(**(vars(old_head) if old_head else {}))
    head_now.__dict__.update(head_changes)
    merged = {c: getattr(current, c) for c in _HOUSEHOLD_READ} | changes
    cycle, reason = checker.cycle(merged, [*persons, head_now])
    if cycle != current.visit_cycle:
        changes |= {"visit_cycle": cycle, "cycle_since": checker.today, "cycle_reason": reason}
    old = {k: getattr(current, k) for k in changes if k != "cycle_reason"}
    head_old = {k: getattr(old_head, k) for k in head_changes} if old_head else {}
    return Write(
        number,
        current.id,
        {k: (old.get(k), v) for k, v in changes.items()},
        old_head.id if old_head else uuid.uuid4(),
        {k: (head_old.get(k), v) for k, v in head_changes.items()},
        False,
        old_head is None,
        current.field_versions or {},
    )
