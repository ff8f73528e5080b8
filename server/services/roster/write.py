"""The import: a plan without a refused row written set-wise (COPY / executemany), under
row locks on the households it updates, numbered from the sync counter only at the end,
with one audit event per household plus one for the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.models import AuditEvent, Household, Person, User
from server.services.core import audit, locks
from server.services.core.errors import Conflict, Invalid
from server.services.roster import numbering
from server.services.roster.plan import Plan, Write, check
from server.services.roster.reading import Table
from server.services.sync.bulk import insert_rows
from server.services.warnings import raising
from sync.protocol import EDITABLE_HOUSEHOLD_FIELDS

_HOUSEHOLD_BLANK = {c.name: None for c in Household.__table__.columns}
_PERSON_BLANK = {c.name: None for c in Person.__table__.columns}


class RosterRefused(Invalid):
    """Some row is refused, so nothing was written; ``plan`` says which and why."""

    def __init__(self, plan: Plan) -> None:
        refused = len(plan.refused)
        super().__init__(
            f"{refused} row(s) are refused; nothing was imported.",
            {"rows": [f"第 {r.row} 行：{m}" for r in plan.refused[:20] for _, m in r.errors]},
        )
        self.plan = plan


class PlanChanged(Conflict):
    """The database changed since the approved dry run: the plan is not the one shown."""

    def __init__(self, plan: Plan, expected: str) -> None:
        super().__init__(
            "The data changed since the dry run; nothing was imported.",
            {"fingerprint": ["数据在预演后已变化（方案指纹不同），未导入任何内容：请重新预演。"]},
        )
        self.plan = plan
        self.expected = expected


@dataclass
class Outcome:
    """What an import did: the plan it wrote (``written`` is False when nothing changed)."""

    plan: Plan
    written: bool


def import_roster(
    session: Session,
    *,
    actor: User,
    table: Table,
    now: datetime,
    tz: str,
    digest: str,
    expect: str | None = None,
    upload_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Outcome:
    """Check ``table`` again and write it, all or nothing (:class:`RosterRefused`).

    ``digest`` (the file's SHA-256) names the file in the audit trail. ``expect`` is the
    fingerprint of the approved dry run: a different plan now is refused
    (:class:`PlanChanged`). ``upload_id`` is imported once (:class:`numbering.AlreadyImported`).
    A file that changes nothing writes no versions and no audit events. ``on_stage`` is
    told "planned" once the plan is read under its locks and "written" once the rows are
    written, before they are numbered (the counter is taken last): progress for a caller,
    a place to pause for a test.
    """
    stage = on_stage or (lambda _name: None)
    record = numbering.claim(session, upload_id=upload_id, digest=digest, actor=actor, now=now)
    plan = _locked_plan(session, actor=actor, table=table, now=now, tz=tz, progress=progress)
    stage("planned")
    if plan.refused:
        raise RosterRefused(plan)
    if expect is not None and plan.fingerprint != expect:
        raise PlanChanged(plan, expect)
    record.fingerprint, record.counts = plan.fingerprint, plan.counts
    _write_bases(session, plan.bases)
    if not plan.writes:
        session.flush()
        return Outcome(plan, written=False)
    placeholders = _write(session, plan.writes, actor, now)
    audit.record(
        session,
        actor=actor,
        action="roster_import",
        entity="roster",
        entity_id=digest,
        now=now,
        diff={"counts": plan.counts, "encoding": plan.encoding},
    )
    # A household whose residence street the file changed has moved: both streets hear.
    moved = [w.household_id for w in plan.writes if not w.new and _moved(w)]
    raising.raise_for_moves(session, moved, f"roster:{digest[:48]}", now)
    session.flush()
    stage("written")
    numbering.renumber(session, placeholders)
    return Outcome(plan, written=True)


def _moved(write: Write) -> bool:
    old, new = write.household.get("residence_street_id", (None, None))
    return old != new


def _file_numbers(table: Table) -> list[str]:
    return sorted({str(c["external_id"]).strip() for _, c in table.rows if c.get("external_id")})


def _locked_plan(session: Session, *, actor, table, now, tz, progress) -> Plan:
    """The plan, read with the households it updates locked (ascending id, before the read
    that decides the write: a console or tablet edit committed meanwhile is merged, not
    overwritten). A household the file's raw numbers did not find is locked and the plan
    made again."""
    column = Household.__table__.c
    numbers = _file_numbers(table)
    ids: set = set()
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start : start + 5000]
        ids |= set(session.scalars(select(column.id).where(column.external_id.in_(chunk))))
    locks.locked(session, Household, ids)
    while True:
        plan = check(session, actor=actor, table=table, now=now, tz=tz, progress=progress)
        missing = {w.household_id for w in plan.writes if not w.new} - ids
        missing |= set(plan.bases) - ids
        if not missing:
            return plan
        locks.locked(session, Household, missing)
        ids |= missing


def _write_bases(session: Session, bases: dict) -> None:
    """A merge base alone is bookkeeping: no version, so tablets pull nothing."""
    params = [{"_id": k, "v_imported_values": v} for k, v in bases.items()]
    if params:
        _update_each(session, Household, params)


def _write(session: Session, writes: list[Write], actor: User, now: datetime) -> int:
    """Write every row with a placeholder version (-1, -2, …; :mod:`numbering` turns them
    into counter numbers at the end) and return how many placeholders were used."""
    # Placeholders instead of counter numbers: the counter's row lock, held from the first
    # number to the commit, would stall every push for the whole write (DESIGN §5).
    version = 0
    new_households, new_heads, household_updates, head_updates, events = [], [], [], [], []
    actor_id = actor.id if actor is not None else None
    for write in writes:
        write.give_ids()
        version += 1
        household_version = -version
        if write.new:
            values = dict(write.household)
            reason = values.pop("cycle_reason")
            new_households.append(
                _HOUSEHOLD_BLANK
                | values
                | {
                    "id": write.household_id,
                    "version": -version,
                    "field_versions": {},
                    "imported_values": write.imported_values,
                }
            )
            head = _person_row(write, write.head, -(version := version + 1))
            new_heads.append(head | {"household_status": new_households[-1]["status"]})
            diff = {k: [None, v] for k, v in values.items() if v is not None}
            diff["reason"] = [None, reason]
        else:
            diff = {k: list(pair) for k, pair in write.household.items()}
            # Even when only the head changed: the household takes a new version, so a
            # tablet pulls it again (the head's name is shown with it).
            household_updates.append(_household_change(write, household_version))
            if write.head:
                version += 1
                new = {k: v for k, (_, v) in write.head.items()}
                if write.head_new:
                    new_heads.append(_person_row(write, new, -version))
                else:
                    head_updates.append({**_bind(new), "_id": write.head_id, "v_version": -version})
        diff |= _head_diff(write)
        events.append(_event(actor_id, "create" if write.new else "update", write, diff, now))
    insert_rows(session, Household, new_households)
    _update_each(session, Household, household_updates)
    insert_rows(session, Person, _household_status(session, new_heads))
    _update_each(session, Person, head_updates)
    insert_rows(session, AuditEvent, events)
    return version


def _person_row(write: Write, values: dict, version: int) -> dict:
    return (
        _PERSON_BLANK
        | values
        | {
            "id": write.head_id,
            "household_id": write.household_id,
            "relation": "head",
            "version": version,
        }
    )


def _household_status(session: Session, heads: list[dict]) -> list[dict]:
    """Each head with its household's status, which the database requires it to copy (the
    ID-number rule: models.household.Person); an existing household's is read back."""
    unknown = [h["household_id"] for h in heads if h["household_status"] is None]
    status = (
        dict(
            session.execute(select(Household.id, Household.status).where(Household.id.in_(unknown)))
        )
        if unknown
        else {}
    )
    return [
        h | {"household_status": h["household_status"] or status[h["household_id"]]} for h in heads
    ]


def _bind(values: dict[str, Any]) -> dict[str, Any]:
    return {f"v_{k}": v for k, v in values.items()}


def _household_change(write: Write, version: int) -> dict:
    """An UPDATE's parameters: new values, the version, and the merge fields' versions
    (the per-field merge of tablet edits must see the import's change: DESIGN §5). The
    fields' versions are the locked read's, per key, with the touched ones set to this
    row's placeholder (renumbered with the row)."""
    new = {k: v for k, (_, v) in write.household.items() if k != "cycle_reason"}
    touched = set(new) & set(EDITABLE_HOUSEHOLD_FIELDS)
    params = {**_bind(new), "_id": write.household_id, "v_version": version}
    params["v_imported_values"] = write.imported_values
    if touched:
        params["v_field_versions"] = write.field_versions | dict.fromkeys(sorted(touched), version)
    return params


def _update_each(session: Session, model, params: list[dict]) -> None:
    """One executemany UPDATE by id per set of columns changed."""
    table = model.__table__
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in params:
        groups.setdefault(tuple(sorted(k for k in row if k != "_id")), []).append(row)
    connection = session.connection()
    for keys, rows in groups.items():
        columns = {k[2:]: bindparam(k, type_=table.c[k[2:]].type) for k in keys}
        stmt = update(table).where(table.c.id == bindparam("_id")).values(columns)
        connection.execute(stmt, rows)


def _head_diff(write: Write) -> dict[str, list]:
    if write.new:
        pairs = {k: (None, v) for k, v in write.head.items()}
    else:
        pairs = write.head
    return {
        f"head.{k}": ["***", "***"] if k in audit.SECRET_FIELDS else [old, new]
        for k, (old, new) in pairs.items()
        if k not in ("relation",)
    }


def _json_safe(diff: dict[str, list]) -> dict[str, list]:
    """The diff as JSON: :func:`audit.plain` gives the same, but its generic walk cost more
    than the rest of the write for 100,000 events; these values are only text, numbers,
    lists of codes, dates and None."""
    return {
        key: [v.isoformat() if isinstance(v, date) else v for v in pair]
        for key, pair in diff.items()
    }


def _event(actor_id, action: str, write: Write, diff: dict, now: datetime) -> dict:
    if "cycle_reason" in diff:
        diff["reason"] = [None, diff.pop("cycle_reason")[1]]
    return {
        "actor_id": actor_id,
        "device_id": None,
        "action": action,
        "entity": "household",
        "entity_id": str(write.household_id),
        "diff": _json_safe(diff),
        "at": now,
    }
