"""Push: apply a tablet's mutations exactly once, each in its own savepoint (DESIGN §5)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.models import (
    CaseloadAssignment,
    Device,
    DeviceMutation,
    DeviceSync,
    Household,
    IdempotentReply,
    Interview,
    User,
    Visit,
)
from server.services import audit, versioning
from server.services.errors import Forbidden, Invalid
from sync.records import HouseholdSchema, InterviewSchema, VisitSchema

MAX_MUTATIONS = 1000
# A tablet clock may run a little fast; a record "from the future" beyond this is refused.
FUTURE_TOLERANCE = timedelta(minutes=10)
log = logging.getLogger(__name__)
RECORDS = {
    "visit": (Visit, VisitSchema, "visited_at"),
    "interview": (Interview, InterviewSchema, "interviewed_at"),
}
HOUSEHOLD_FIELDS = tuple(Household.__merge_fields__)
_HOUSEHOLD_EDIT = HouseholdSchema(only=HOUSEHOLD_FIELDS, partial=HOUSEHOLD_FIELDS)


class Refusal(Exception):
    """One mutation refused: answered ``rejected`` (or ``conflict``), never retried."""

    def __init__(
        self,
        reason: str,
        message: str,
        errors: dict | None = None,
        status: str = "rejected",
        **extra: Any,
    ):
        super().__init__(message)
        self.result = {
            "status": status,
            "reason": reason,
            "message": message,
            "errors": errors or {},
            **extra,
        }


@dataclass
class _Outcome:
    """The answer to one mutation. ``row`` is set when it wrote something (its version is
    known only once the batch is stamped); ``new`` is False for a replayed answer."""

    result: dict
    row: Any = None
    new: bool = True


def fingerprint(body: bytes) -> str:
    """What identifies a request body for Idempotency-Key replays."""
    return hashlib.sha256(body).hexdigest()


def push(
    session: Session, *, device: Device, key: str, body: dict, raw: bytes, now: datetime
) -> dict:
    """Apply a push request; returns ``{"results": [...], "server_time": ...}``.

    Whole-request problems (wrong device, too many mutations, a reused Idempotency-Key with
    another body) raise; everything about one mutation is answered in its result.
    """
    if body["device_id"] != device.device_id:
        raise Forbidden(
            "This token belongs to another device.",
            {"json": {"device_id": ["Not the device this token was issued to."]}},
        )
    mark = _lock_device(session, device.device_id)
    print_ = fingerprint(raw)
    earlier = session.get(IdempotentReply, (device.device_id, key))
    if earlier is not None:
        if earlier.fingerprint != print_:
            raise Invalid(
                "This Idempotency-Key was used with a different body.",
                {"headers": {"Idempotency-Key": ["Reused with another body."]}},
            )
        return earlier.response
    outcomes = _apply_batch(session, device, mark, body["mutations"], now)
    versioning.stamp(session)  # the versions the answers report
    results = [_finish(session, device.device_id, o) for o in outcomes]
    response = {"results": results, "server_time": now.isoformat()}
    session.add(
        IdempotentReply(
            device_id=device.device_id, key=key, fingerprint=print_, response=response, at=now
        )
    )
    return response


def _lock_device(session: Session, device_id: str) -> DeviceSync:
    """The device's high-water row, locked until commit (created on first use).

    Created with ON CONFLICT DO NOTHING: a tablet's first push racing its own retry must
    not fail on the primary key; whichever comes second then waits on the row lock.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DeviceSync)
        .values(device_id=device_id, high_water=0)
        .on_conflict_do_nothing(index_elements=["device_id"])
    )
    stmt = select(DeviceSync).where(DeviceSync.device_id == device_id).with_for_update()
    return session.scalar(stmt)


def _apply_batch(
    session: Session, device: Device, mark: DeviceSync, mutations: list[dict], now: datetime
) -> list[_Outcome]:
    """Apply every mutation; the answers in order.

    Every refusal is decided before a mutation writes anything, so the batch first runs in
    one savepoint with one flush at the end (a handful of round trips for the whole batch).
    Should the database still refuse something, that savepoint is undone and the batch runs
    again with a savepoint and a flush per mutation, so one bad item cannot sink the others.
    """
    known = _Known(session, mutations)
    try:
        with session.begin_nested():
            outcomes = [_one(session, device, mark, m, now, known) for m in mutations]
            # Numbered before the flush, so each row is inserted once with its version
            # rather than inserted and then updated (the savepoint undoes both if refused).
            versioning.stamp(session)
            session.flush()
        return outcomes
    except SQLAlchemyError:
        log.warning("push batch refused by the database; retrying one mutation at a time")
    known = _Known(session, mutations)
    return [_one(session, device, mark, m, now, known, safe=True) for m in mutations]


class _Known:
    """What the batch refers to, read with one query per table: the ids of its
    visits/interviews the server already has, and its households (held here: the session
    holds loaded objects only weakly, so a ``session.get`` per mutation would select the
    household again, autoflushing the batch a mutation at a time)."""

    def __init__(self, session: Session, mutations: list[dict]):
        self.ids: set[uuid.UUID] = set()
        wanted: set[uuid.UUID] = set()
        for entity, (model, _, _) in RECORDS.items():
            mine = [m for m in mutations if m["entity"] == entity]
            ids = {m["id"] for m in mine}
            if ids:
                self.ids.update(session.scalars(select(model.id).where(model.id.in_(ids))))
            for m in mine:
                try:
                    wanted.add(uuid.UUID(str(m["data"].get("household_id"))))
                except (TypeError, ValueError, AttributeError):
                    pass  # the record's own validation reports it
        rows = session.scalars(select(Household).where(Household.id.in_(wanted))) if wanted else []
        self.households = {h.id: h for h in rows}


def _one(
    session: Session,
    device: Device,
    mark: DeviceSync,
    mutation: dict,
    now: datetime,
    known: _Known,
    *,
    safe: bool = False,
) -> _Outcome:
    mutation_id = mutation["mutation_id"]
    if mutation_id <= mark.high_water:
        return _Outcome(_replay(session, device.device_id, mutation_id), new=False)
    mark.high_water = mutation_id
    savepoint = session.begin_nested() if safe else None
    try:
        row, extra = _apply(session, device, mutation, now, known)
        if savepoint is not None:
            session.flush()
            savepoint.commit()
        return _Outcome({"mutation_id": mutation_id, "status": "applied", **extra}, row)
    except Refusal as refusal:
        if savepoint is not None:
            savepoint.rollback()
        return _Outcome({"mutation_id": mutation_id, **refusal.result})
    except SQLAlchemyError:
        if savepoint is None:
            raise
        savepoint.rollback()
        return _Outcome(
            {
                "mutation_id": mutation_id,
                "status": "rejected",
                "reason": "invalid",
                "message": "The server could not store this record.",
                "errors": {},
            }
        )


def _replay(session: Session, device_id: str, mutation_id: int) -> dict:
    done = session.get(DeviceMutation, (device_id, mutation_id))
    first = dict(done.result) if done else {}
    if first.get("status") in {"applied", "duplicate", None}:
        return {**first, "mutation_id": mutation_id, "status": "duplicate"}
    return {**first, "mutation_id": mutation_id}  # a refusal is answered the same way again


def _finish(session: Session, device_id: str, outcome: _Outcome) -> dict:
    result = outcome.result
    if outcome.row is not None:
        result["version"] = outcome.row.version
    if outcome.new:
        session.add(
            DeviceMutation(device_id=device_id, mutation_id=result["mutation_id"], result=result)
        )
    return result


def _apply(session: Session, device: Device, mutation: dict, now: datetime, known: _Known):
    entity, op = mutation["entity"], mutation["op"]
    if entity in RECORDS and op == "upsert":
        return _upsert_record(session, device, entity, mutation, now, known), {}
    if entity == "household" and op == "update":
        return _update_household(session, device.user, mutation, now)
    raise Refusal(
        "unknown_entity",
        f"Cannot {op} a {entity}.",
        {"entity": [f"Unknown entity/op {entity}/{op}."]},
    )


@cache
def _schema(schema_cls):
    # Building a marshmallow schema costs more than loading one record with it.
    return schema_cls()


def _load(schema_cls, data: dict, record_id: uuid.UUID) -> dict:
    try:
        loaded = _schema(schema_cls).load(data)
    except ValidationError as error:
        raise Refusal("invalid", "The record is not valid.", error.messages) from error
    if loaded.get("id", record_id) != record_id:
        raise Refusal(
            "invalid",
            "The record id differs from the mutation id.",
            {"id": ["Must equal the mutation's id."]},
        )
    return loaded


def _upsert_record(
    session: Session, device: Device, entity: str, mutation: dict, now: datetime, known: _Known
):
    model, schema_cls, when = RECORDS[entity]
    user, record_id = device.user, mutation["id"]
    data = _load(schema_cls, mutation["data"], record_id)
    if data["status"] not in {"submitted", "resubmitted"}:
        raise Refusal(
            "invalid",
            "Only submitted records are pushed; drafts stay on the tablet.",
            {"status": ["Must be submitted or resubmitted."]},
        )
    if data[when] > now + FUTURE_TOLERANCE:
        raise Refusal(
            "invalid",
            "The record is dated in the future.",
            {when: ["Later than the server's clock allows; check the tablet's time."]},
        )
    # Only ids known to exist are looked up: a miss would cost a query per new record.
    stored = session.get(model, record_id) if record_id in known.ids else None
    if stored is None:
        household = known.households.get(data["household_id"])
        flag = _caseload_check(session, user, household, data["household_id"], data[when])
        row = model(
            **_columns(model, data),
            id=record_id,
            advisor_id=user.id,
            device_id=device.device_id,
            flag=flag,
        )
        session.add(row)
        known.ids.add(record_id)  # a second mutation of this id in the batch corrects it
        action = "sync_create"
    else:
        _may_correct(stored, user)
        for name, value in _columns(model, data).items():
            setattr(stored, name, value)
        stored.status = "resubmitted"
        row, action = stored, "sync_correct"
    audit.record(
        session,
        actor=user,
        action=action,
        entity=entity,
        entity_id=record_id,
        now=now,
        device_id=device.device_id,
        # A new record's values are the record itself; its trail names the fields set. A
        # correction keeps the full before/after of what changed.
        diff={"fields": [None, sorted(data)]} if action == "sync_create" else audit.changes(row),
    )
    return row


def _columns(model, data: dict) -> dict:
    """Wire fields → model columns: a visit's location is three columns, ids in lists are
    strings. The author and device come from the token, never from the body."""
    skip = {"id", "location", "advisor_id", "device_id"}
    values = {k: v for k, v in data.items() if k not in skip}
    if model is Visit:
        location = data.get("location") or {}
        values["latitude"] = location.get("lat")
        values["longitude"] = location.get("lon")
        values["accuracy_m"] = location.get("accuracy_m")
    if "persons_met" in values:
        values["persons_met"] = [str(p) for p in values["persons_met"]]
    return values


def _may_correct(existing, user: User) -> None:
    if existing.advisor_id != user.id:
        raise Refusal("not_owner", "This record was made by another advisor.")
    if existing.status == "approved":
        raise Refusal("locked", "The record is approved and locked; make a new record.")
    if existing.status in {"submitted", "resubmitted"}:
        raise Refusal("under_review", "The record is waiting for review and cannot change.")


def _caseload_check(
    session: Session, user: User, household: Household | None, household_id: uuid.UUID, at
) -> str | None:
    """None if the household (``household_id``, loaded or None) is the advisor's; a flag if
    it was theirs when the record was made; a refusal otherwise."""
    if household is None:
        raise Refusal("invalid", "No such household.", {"household_id": ["Unknown household."]})
    if household.assigned_advisor_id == user.id:
        return None
    held = select(CaseloadAssignment.id).where(
        CaseloadAssignment.household_id == household_id,
        CaseloadAssignment.advisor_id == user.id,
        CaseloadAssignment.assigned_at <= at,
        or_(CaseloadAssignment.ended_at.is_(None), CaseloadAssignment.ended_at >= at),
    )
    if session.scalar(held.limit(1)) is not None:
        return "left_caseload"
    raise Refusal(
        "not_in_caseload",
        "This household is not in your caseload.",
        {"household_id": ["Not in your caseload."]},
    )


def _update_household(session: Session, user: User, mutation: dict, now: datetime):
    household = session.scalar(
        select(Household).where(
            and_(Household.id == mutation["id"], Household.assigned_advisor_id == user.id)
        )
    )
    if household is None:
        raise Refusal("not_in_caseload", "This household is not in your caseload.")
    if mutation.get("base_version") is None:
        raise Refusal(
            "invalid",
            "A household update needs base_version.",
            {"base_version": ["Required for updates."]},
        )
    try:
        changes = _HOUSEHOLD_EDIT.load(mutation["data"])
    except ValidationError as error:
        raise Refusal("invalid", "The change is not valid.", error.messages) from error
    conflicts = _merge(household, changes, mutation["base_version"])
    diff = audit.changes(household)
    if diff:
        audit.record(
            session,
            actor=user,
            action="sync_update",
            entity="household",
            entity_id=household.id,
            now=now,
            diff=diff,
        )
    if not conflicts:
        return household, {}
    # The other fields are applied; these keep the server's value for the advisor to see.
    return household, {
        "status": "conflict",
        "reason": "conflict",
        "fields": conflicts,
        "message": "Changed on the server too; the server's value was kept.",
        "errors": {f: ["Changed on the server since your copy."] for f in conflicts},
        "server": {f: _wire_value(household, f) for f in HOUSEHOLD_FIELDS},
    }


def _merge(household: Household, changes: dict, base_version: int) -> list[str]:
    conflicts = []
    for field, value in changes.items():
        changed_at = (household.field_versions or {}).get(field, 0)
        if changed_at > base_version and _wire_value(household, field) != _plain(value):
            conflicts.append(field)
            continue
        if field == "location":
            household.latitude = value["lat"] if value else None
            household.longitude = value["lon"] if value else None
        else:
            setattr(household, field, value)
    return conflicts


def _wire_value(household: Household, field: str):
    if field == "location":
        return household.location
    return getattr(household, field)


def _plain(value):
    if isinstance(value, dict):
        return {"lat": value["lat"], "lon": value["lon"]}
    return value
