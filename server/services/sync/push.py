"""Push: apply a tablet's mutations exactly once, each in its own savepoint (DESIGN §5).

This is the loop: the device's lock and high-water mark, the batch's savepoints, replayed
answers and the Idempotency-Key reply. What one mutation does is :mod:`sync_apply`'s.

All bookkeeping is keyed by the records' author (an authenticated user) and the tablet, and
``duplicate`` is answered only for the very mutation stored before (same id, entity, record
and fingerprint): anything else at or below the mark is refused with the mark, visibly.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.models import Device, DeviceMutation, DeviceSync, IdempotentReply
from server.services.auth.tokens import token_digest
from server.services.core.errors import Forbidden, Invalid
from server.services.core.push_types import Pusher, Refusal
from server.services.sync import versioning
from server.services.sync.apply import Known, note_acknowledged
from server.services.sync.bulk import Bulk, insert_rows
from server.services.sync.handlers import apply_mutation
from server.services.warnings import raising
from sync.protocol import STALE_MUTATION_REASONS, canonical_json

MAX_MUTATIONS = 1000
# How far past the device's mark one mutation id may jump. A tablet numbers its outbox
# 1, 2, 3 … (renumbering only to just above the mark), so real ids stay far closer than
# this; a hostile id near the 2^62 ceiling would otherwise raise the mark to where no
# later id could pass it, blocking the tablet for good. At this step the ceiling lies
# 2^31 pushes away.
MAX_MUTATION_STEP = 2**31
log = logging.getLogger(__name__)


@dataclass
class _Outcome:
    """The answer to one mutation. ``row`` is set when it wrote something (its version is
    known only once the batch is stamped); ``new`` is False for a replayed answer."""

    result: dict
    mutation: dict
    fingerprint: str
    row: Any = None
    new: bool = True


def fingerprint(body: bytes) -> str:
    """What identifies a request body for Idempotency-Key replays."""
    return hashlib.sha256(body).hexdigest()


def mutation_fingerprint(mutation: dict) -> str:
    """What identifies one mutation's content: a reused id with other content differs."""
    content = {
        "entity": mutation["entity"],
        "op": mutation["op"],
        "id": str(mutation["id"]),
        "base_version": mutation.get("base_version"),
        "data": mutation["data"],
    }
    # surrogatepass: a lone surrogate is refused by validation later, not here.
    return hashlib.sha256(canonical_json(content).encode("utf-8", "surrogatepass")).hexdigest()


def push(
    session: Session, *, device: Device, key: str, body: dict, raw: bytes, now: datetime
) -> dict:
    """Apply a push request; returns ``{"results": [...], "server_time": ...}``.

    Whole-request problems (wrong device, too many mutations, a reused Idempotency-Key with
    another body, a previous advisor's credential from elsewhere) raise; everything about
    one mutation is answered in its result.
    """
    if body["device_id"] != device.device_id:
        raise Forbidden(
            "This token belongs to another device.",
            {"json": {"device_id": ["Not the device this token was issued to."]}},
        )
    pusher = _pusher(session, device, body.get("on_behalf_of"))
    mark = _lock_device(session, pusher)
    # What the tablet had pulled decides whether a record made after a move is kept.
    pusher = replace(pusher, pulled_through=mark.pulled_through, pulled_at=mark.pulled_at)
    print_ = fingerprint(raw)
    earlier = session.get(IdempotentReply, (pusher.author.id, pusher.device_id, key))
    if earlier is not None:
        if earlier.fingerprint != print_:
            raise Invalid(
                "This Idempotency-Key was used with a different body.",
                {"headers": {"Idempotency-Key": ["Reused with another body."]}},
            )
        return earlier.response
    outcomes, known = _apply_batch(session, pusher, mark, body["mutations"], now)
    # Submitting a record raises its warnings in the same transaction (issue 20), under
    # the household locks the batch holds.
    raising.raise_for_records(session, _submitted(outcomes), now, held=known.households)
    versioning.stamp(session)  # the versions the answers report
    results = [_finish(o) for o in outcomes]
    answers = [_answer(pusher, o, now) for o in outcomes if o.new]
    insert_rows(session, DeviceMutation, answers)
    response = {"results": results, "server_time": now.isoformat()}
    session.add(
        IdempotentReply(
            user_id=pusher.author.id,
            device_id=pusher.device_id,
            key=key,
            fingerprint=print_,
            response=response,
            at=now,
        )
    )
    return response


def _submitted(outcomes: list[_Outcome]) -> list[tuple[str, uuid.UUID]]:
    """The visits and interviews this push stored or corrected (not replays)."""
    return [
        (o.mutation["entity"], uuid.UUID(str(o.mutation["id"])))
        for o in outcomes
        if o.new and o.result.get("status") == "applied" and o.mutation["entity"] in raising.MODELS
    ]


def _pusher(session: Session, device: Device, previous_token: str | None) -> Pusher:
    """Whose records this push carries. Normally the signed-in advisor's; with
    ``on_behalf_of`` (the token this tablet held for an earlier advisor — revoked, expired
    or deactivated is fine, it only proves authorship) that advisor's, delivered by the
    signed-in one and flagged for the supervisor (a tablet that changed hands)."""
    if not previous_token:
        return Pusher(device.user, device.device_id)
    owner = session.scalar(select(Device).where(Device.token_hash == token_digest(previous_token)))
    if owner is None or owner.device_id != device.device_id or owner.user.role != "advisor":
        raise Forbidden(
            "The earlier advisor's credential was not issued to this tablet.",
            {"json": {"on_behalf_of": ["Not a credential issued to this tablet."]}},
        )
    if owner.user_id == device.user_id:
        return Pusher(device.user, device.device_id)
    return Pusher(owner.user, device.device_id, delivered_by=device.user)


def _lock_device(session: Session, pusher: Pusher) -> DeviceSync:
    """The (author, tablet) high-water row, locked until commit (created on first use).

    Created with ON CONFLICT DO NOTHING: a tablet's first push racing its own retry must
    not fail on the primary key; whichever comes second then waits on the row lock.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DeviceSync)
        .values(user_id=pusher.author.id, device_id=pusher.device_id, high_water=0)
        .on_conflict_do_nothing(index_elements=["user_id", "device_id"])
    )
    stmt = (
        select(DeviceSync)
        .where(DeviceSync.user_id == pusher.author.id, DeviceSync.device_id == pusher.device_id)
        .with_for_update()
    )
    return session.scalar(stmt)


def _apply_batch(
    session: Session, pusher: Pusher, mark: DeviceSync, mutations: list[dict], now: datetime
) -> tuple[list[_Outcome], Known]:
    """Apply every mutation; the answers in order, and what the batch locked.

    Every refusal is decided before a mutation writes anything, so the batch first runs in
    one savepoint with one flush at the end (a handful of round trips for the whole batch).
    Should the database still refuse something, that savepoint is undone and the batch runs
    again with a savepoint and a flush per mutation, so one bad item cannot sink the others.
    """
    known, bulk = Known(session, mutations), Bulk()
    try:
        with session.begin_nested():
            outcomes = [_one(session, pusher, mark, m, now, known, bulk) for m in mutations]
            bulk.write(session)  # the new records and the trail: one INSERT per table
            # Numbered before the flush, so each changed row is written once with its
            # version (the savepoint undoes both if refused).
            versioning.stamp(session)
            session.flush()
        return outcomes, known
    except SQLAlchemyError:
        log.warning("push batch refused by the database; retrying one mutation at a time")
    known, bulk = Known(session, mutations), Bulk()
    return [_one(session, pusher, mark, m, now, known, bulk, safe=True) for m in mutations], known


def _one(
    session: Session,
    pusher: Pusher,
    mark: DeviceSync,
    mutation: dict,
    now: datetime,
    known: Known,
    bulk: Bulk,
    *,
    safe: bool = False,
) -> _Outcome:
    mutation_id, print_ = mutation["mutation_id"], mutation_fingerprint(mutation)
    if mutation_id <= mark.high_water:
        answer = _replay(session, pusher, mutation, print_, mark.high_water)
        note_acknowledged(known, mutation, answer, answer.get("version"))
        return _Outcome(answer, mutation, print_, new=False)
    if mutation_id > mark.high_water + MAX_MUTATION_STEP:
        return _Outcome(_too_far(mutation_id, mark.high_water), mutation, print_, new=False)
    mark.high_water = mutation_id
    savepoint = session.begin_nested() if safe else None
    checkpoint = bulk.checkpoint()
    try:
        row, extra = apply_mutation(session, pusher, mutation, now, known, bulk)
        if savepoint is not None:
            bulk.write(session)
            session.flush()
            savepoint.commit()
        result = {"mutation_id": mutation_id, "status": "applied", **extra}
        note_acknowledged(known, mutation, result, getattr(row, "version", None))
        return _Outcome(result, mutation, print_, row)
    except Refusal as refusal:
        if savepoint is not None:
            savepoint.rollback()
        bulk.undo(checkpoint)
        return _Outcome({"mutation_id": mutation_id, **refusal.result}, mutation, print_)
    except SQLAlchemyError:
        if savepoint is None:
            raise
        savepoint.rollback()
        bulk.undo(checkpoint)
        result = {
            "mutation_id": mutation_id,
            "status": "rejected",
            "reason": "invalid",
            "message": "The server could not store this record.",
            "errors": {},
        }
        return _Outcome(result, mutation, print_)


def _replay(session: Session, pusher: Pusher, mutation: dict, print_: str, high_water: int) -> dict:
    """The answer to a mutation id at or below the mark: the first answer again if this is
    that very mutation, else a refusal the tablet cures by renumbering — never an
    acknowledgement of something the server does not hold."""
    mutation_id = mutation["mutation_id"]
    done = session.get(DeviceMutation, (pusher.author.id, pusher.device_id, mutation_id))
    if done is not None and done.fingerprint == print_:
        first = dict(done.result)
        if first.get("status") in {"applied", "duplicate"}:
            return {**first, "mutation_id": mutation_id, "status": "duplicate"}
        return {**first, "mutation_id": mutation_id}  # a refusal is answered the same again
    reused = done is not None
    return {
        "mutation_id": mutation_id,
        "status": "rejected",
        "reason": STALE_MUTATION_REASONS[1] if reused else STALE_MUTATION_REASONS[0],
        "message": (
            "This mutation id was used before for other content; nothing was stored. "
            if reused
            else "This mutation id is at or below the tablet's mark; nothing was stored. "
        )
        + "Send it again with an id above high_water.",
        "errors": {"mutation_id": [f"Must be greater than {high_water}."]},
        "high_water": high_water,
    }


def _too_far(mutation_id: int, high_water: int) -> dict:
    """A refusal of an id too far above the mark: nothing stored, the mark unmoved (and
    nothing remembered of it, so the id stays free for the content a tablet sends later)."""
    return {
        "mutation_id": mutation_id,
        "status": "rejected",
        "reason": "mutation_id_too_far",
        "message": "This mutation id is too far above the tablet's mark; nothing was stored.",
        "errors": {"mutation_id": [f"Must be at most {high_water + MAX_MUTATION_STEP}."]},
        "high_water": high_water,
    }


def _finish(outcome: _Outcome) -> dict:
    result = outcome.result
    if outcome.row is not None:
        result["version"] = outcome.row.version
    return result


def _answer(pusher: Pusher, outcome: _Outcome, now: datetime) -> dict:
    """The stored answer to a mutation answered for the first time (replays look it up)."""
    return {
        "user_id": pusher.author.id,
        "device_id": pusher.device_id,
        "mutation_id": outcome.result["mutation_id"],
        "entity": outcome.mutation["entity"],
        "record_id": outcome.mutation["id"],
        "fingerprint": outcome.fingerprint,
        "result": outcome.result,
        "at": now,
    }
