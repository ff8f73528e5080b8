"""The import: a plan without a refused row written set-wise (COPY / executemany), with
versions from the sync counter and one audit event per household plus one for the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.models import AuditEvent, Household, Person, User
from server.services.core import audit
from server.services.core.errors import Invalid
from server.services.roster.plan import Plan, Write, check
from server.services.roster.reading import Table
from server.services.sync import versioning
from server.services.sync.bulk import insert_rows
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
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Check ``table`` again and write it, all or nothing (:class:`RosterRefused`).

    ``digest`` (the file's SHA-256) names the file in the audit trail. A file that
    changes nothing writes nothing: no versions, no audit events.
    """
    plan = check(session, actor=actor, table=table, now=now, tz=tz, progress=progress)
    if plan.refused:
        raise RosterRefused(plan)
    if not plan.writes:
        return Outcome(plan, written=False)
    _write(session, plan.writes, actor, now)
    audit.record(
        session,
        actor=actor,
        action="roster_import",
        entity="roster",
        entity_id=digest,
        now=now,
        diff={"counts": plan.counts, "encoding": plan.encoding},
    )
    session.flush()
    return Outcome(plan, written=True)


def _write(session: Session, writes: list[Write], actor: User, now: datetime) -> None:
    rows = sum(1 + bool(w.head) for w in writes)
    # Numbered from the counter like every versioned write (its row lock is held until
    # commit, so version order stays commit order: DESIGN §5).
    version = versioning.next_versions(session, rows) - rows
    new_households, new_heads, household_updates, head_updates, events = [], [], [], [], []
    actor_id = actor.id if actor is not None else None
    for write in writes:
        version += 1
        household_version = version
        if write.new:
            values = dict(write.household)
            reason = values.pop("cycle_reason")
            new_households.append(
                _HOUSEHOLD_BLANK | values | {"id": write.household_id, "version": version}
            )
            head = _person_row(write, write.head, version := version + 1)
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
                    new_heads.append(_person_row(write, new, version))
                else:
                    head_updates.append({**_bind(new), "_id": write.head_id, "v_version": version})
        diff |= _head_diff(write)
        events.append(_event(actor_id, "create" if write.new else "update", write, diff, now))
    insert_rows(session, Household, new_households)
    _update_each(session, Household, household_updates)
    insert_rows(session, Person, _household_status(session, new_heads))
    _update_each(session, Person, head_updates)
    insert_rows(session, AuditEvent, events)


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
    (the per-field merge of tablet edits must see the import's change: DESIGN §5)."""
    new = {k: v for k, (_, v) in write.household.items() if k != "cycle_reason"}
    touched = set(new) & set(EDITABLE_HOUSEHOLD_FIELDS)
    params = {**_bind(new), "_id": write.household_id, "v_version": version}
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
