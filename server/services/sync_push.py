"""Push: apply a tablet's mutations exactly once, each in its own savepoint (DESIGN §5).

This is the loop: the device's lock and high-water mark, the batch's savepoints, replayed
answers and the Idempotency-Key reply. What one mutation does is :mod:`sync_apply`'s.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.models import Device, DeviceMutation, DeviceSync, IdempotentReply
from server.services import versioning
from server.services.errors import Forbidden, Invalid
from server.services.sync_apply import Known, Refusal, apply_mutation

MAX_MUTATIONS = 1000
log = logging.getLogger(__name__)


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
    known = Known(session, mutations)
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
    known = Known(session, mutations)
    return [_one(session, device, mark, m, now, known, safe=True) for m in mutations]


def _one(
    session: Session,
    device: Device,
    mark: DeviceSync,
    mutation: dict,
    now: datetime,
    known: Known,
    *,
    safe: bool = False,
) -> _Outcome:
    mutation_id = mutation["mutation_id"]
    if mutation_id <= mark.high_water:
        return _Outcome(_replay(session, device.device_id, mutation_id), new=False)
    mark.high_water = mutation_id
    savepoint = session.begin_nested() if safe else None
    try:
        row, extra = apply_mutation(session, device, mutation, now, known)
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
