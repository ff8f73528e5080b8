"""Push: apply one mutation — create or correct a visit/interview, merge a household edit.

:mod:`server.services.sync.push` runs the loop (savepoints, high-water marks, answers) and
:mod:`server.services.sync.handlers` picks the function here for each entity and operation;
everything here decides one mutation and raises :class:`Refusal` before writing anything
when the mutation cannot be applied.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.models import CaseloadAssignment, Household, Interview, User, Visit
from server.services.core import audit, locks
from server.services.core.push_types import FUTURE_TOLERANCE, Pusher, Refusal, payload_hash
from server.services.sync.bulk import Bulk
from sync.protocol import (
    CONFLICT_MESSAGE,
    EDITABLE_HOUSEHOLD_FIELDS,
    HISTORY_TIME_FIELDS,
)
from sync.records import HouseholdSchema, InterviewSchema, VisitSchema

# Entity → its model and wire schema; the time field is the protocol's.
RECORDS = {"visit": (Visit, VisitSchema), "interview": (Interview, InterviewSchema)}
# What a household update may carry: the protocol's editable fields, each optional.
HOUSEHOLD_EDIT = HouseholdSchema(only=EDITABLE_HOUSEHOLD_FIELDS, partial=EDITABLE_HOUSEHOLD_FIELDS)


class Known:
    """What the batch refers to, read with one query per table and locked until commit (in
    the one lock order: households, then records, each in ascending id): its households
    (held here: the session holds loaded objects only weakly, so a ``session.get`` per
    mutation would select the household again, autoflushing the batch a mutation at a time)
    and the ids of its visits/interviews the server already has.

    The locks are what make a merge or a caseload check decide on the household as it is:
    a console edit committed meanwhile waits, or is read. The version counter is taken
    later, when the batch is stamped, so it is the last lock (docs/architecture.md)."""

    def __init__(self, session: Session, mutations: list[dict]):
        wanted: set[uuid.UUID] = set()
        record_ids: dict[type, set] = {model: set() for model, _ in RECORDS.values()}
        for m in mutations:
            if m["entity"] == "household":
                wanted.update(_uuids([m["id"]]))
            elif m["entity"] in RECORDS:
                record_ids[RECORDS[m["entity"]][0]].add(m["id"])
                data = m["data"] if isinstance(m["data"], dict) else {}
                wanted.update(_uuids([data.get("household_id")]))
        self.households = locks.locked(session, Household, wanted)
        self.ids: set[uuid.UUID] = set()
        for model, ids in record_ids.items():
            self.ids.update(locks.locked(session, model, _uuids(ids)))
        # household id → field → the version at which an earlier mutation of this batch
        # left that field at the tablet's value (see :func:`note_acknowledged`).
        self.acknowledged: dict[uuid.UUID, dict[str, int]] = {}


def _uuids(values) -> set[uuid.UUID]:
    """The values that are ids (the mutation's own validation reports the others)."""
    found = set()
    for value in values:
        try:
            found.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except (TypeError, ValueError, AttributeError):
            pass
    return found


def upsert_record(
    session: Session, pusher: Pusher, mutation: dict, now: datetime, known: Known, bulk: Bulk
) -> tuple[Any, dict]:
    """Create or correct a visit/interview (a new one is queued in ``bulk``)."""
    return _upsert_record(session, pusher, mutation["entity"], mutation, now, known, bulk)


def update_household(
    session: Session, pusher: Pusher, mutation: dict, now: datetime, known: Known, bulk: Bulk
) -> tuple[Any, dict]:
    """Merge a household edit field by field; a field changed on both sides is a conflict."""
    return _update_household(session, pusher, mutation, now, known, bulk)


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
    session: Session,
    pusher: Pusher,
    entity: str,
    mutation: dict,
    now: datetime,
    known: Known,
    bulk: Bulk,
) -> tuple[Any, dict]:
    (model, schema_cls), when = RECORDS[entity], HISTORY_TIME_FIELDS[entity]
    user, record_id = pusher.author, mutation["id"]
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
    digest = payload_hash(mutation["data"])
    # Only ids known to exist are looked up: a miss would cost a query per new record. One
    # this batch creates is queued in ``bulk`` (a later mutation of the batch sees it there).
    stored = bulk.get(record_id)
    if stored is None and record_id in known.ids:
        stored = session.get(model, record_id)
    if is_duplicate(stored, user, digest, mutation.get("base_version")):
        # This very record is stored already (a replay whose bookkeeping is gone, or sent
        # again under a new mutation id): the server holds it, nothing changes.
        return stored, {"status": "duplicate"}
    if stored is None:
        household = known.households.get(data["household_id"])
        flag = _caseload_check(session, pusher, household, data["household_id"], data[when])
        if pusher.delivered_by is not None:
            flag = ",".join(f for f in (flag, "handed_over") if f)
        values = {
            **_columns(model, data),
            "id": record_id,
            "advisor_id": user.id,
            "device_id": pusher.device_id,
            "flag": flag,
            "payload_hash": digest,
        }
        row = bulk.add_record(model, values)
        known.ids.add(record_id)  # a second mutation of this id in the batch corrects it
        action = "sync_create"
    else:
        check_correctable(stored, user, known.households.get(stored.household_id))
        if data["household_id"] != stored.household_id:
            # A correction passes none of a new record's checks, so it may not move.
            raise Refusal(
                "invalid",
                "A correction cannot move the record to another household.",
                {"household_id": ["Must stay the household the record was made for."]},
            )
        for name, value in _columns(model, data).items():
            setattr(stored, name, value)
        stored.status = "resubmitted"
        if user.id != stored.advisor_id:
            stored.corrected_by_id = user.id  # the holder after a handover; the author stays
        stored.payload_hash = digest
        row, action = stored, "sync_correct"
    # A new record's values are the record itself; its trail names the fields set. A
    # correction keeps the full before/after of what changed.
    diff = {"fields": [None, sorted(data)]} if action == "sync_create" else audit.changes(row)
    _audit(bulk, pusher, action, entity, record_id, now, diff)
    return row, {}


def is_duplicate(stored, user: User, digest: str, base_version: int | None) -> bool:
    """True when ``stored`` already is this very mutation: same author and content, and not
    a new resubmission of a returned record.

    Equal content alone is not enough: a record returned again and resubmitted unchanged
    carries the content the server stored with its previous resubmission. The tablet's
    ``base_version`` (the version it had seen) tells the two apart: at or above the stored
    version, it saw the return, so this is a status transition to apply; below it (or
    absent: an older tablet), it is the earlier resubmission again.
    """
    # A record of this batch (bulk.Pending) has no corrector yet.
    corrector = getattr(stored, "corrected_by_id", None)
    mine = stored is not None and user.id in (stored.advisor_id, corrector)
    if not mine or stored.payload_hash != digest:
        return False
    return stored.status != "returned" or base_version is None or base_version < stored.version


def _audit(bulk: Bulk, pusher: Pusher, action, entity, entity_id, now, diff) -> None:
    """The trail names who sent it; a handed-over tablet's record also names its author.
    (``diff`` is JSON-safe already: field names, or :func:`audit.changes`.)"""
    if pusher.delivered_by is not None:
        diff = {**diff, "on_behalf_of": [None, pusher.author.id]}
    bulk.add_audit(
        actor_id=(pusher.delivered_by or pusher.author).id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        now=now,
        device_id=pusher.device_id,
        diff=diff,
    )


def _columns(model, data: dict) -> dict:
    """Wire fields → model attributes: ids in lists are strings, a visit's location goes
    through ``Visit.location``. The author and device come from the token, never the body."""
    skip = {"id", "location", "advisor_id", "device_id"}
    values = {k: v for k, v in data.items() if k not in skip}
    if model is Visit:
        values["location"] = data.get("location")  # Visit.location sets its three columns
    if "persons_met" in values:
        values["persons_met"] = [str(p) for p in values["persons_met"]]
    return values


def _out_of_reach() -> Refusal:
    """The one answer for a household or record beyond the advisor: unknown, someone
    else's caseload, another advisor's record all read the same, so a push cannot probe."""
    return Refusal(
        "not_in_caseload",
        "This household or record is not in your caseload.",
        {"household_id": ["Not in your caseload."]},
    )


def check_correctable(existing, user: User, household: Household | None = None) -> None:
    """Refuse a correction of another advisor's record, or of one under review or approved
    (the statuses the tablet locks too: :data:`sync.protocol.LOCKED_STATUSES`).

    A returned record may also be corrected by the household's current holder (loaded in
    ``household``): after a handover its author no longer has it, and nobody else would.
    """
    holder = household is not None and household.assigned_advisor_id == user.id
    if existing.advisor_id != user.id and not (holder and existing.status == "returned"):
        raise _out_of_reach()
    if existing.status == "approved":
        raise Refusal("locked", "The record is approved and locked; make a new record.")
    if existing.status in {"submitted", "resubmitted"}:
        raise Refusal("under_review", "The record is waiting for review and cannot change.")


def _caseload_check(
    session: Session, pusher: Pusher, household: Household | None, household_id: uuid.UUID, at
) -> str | None:
    """None if the household (``household_id``, loaded or None) is the author's; the flag
    ``left_caseload`` if it was theirs when the record was made, or it left their caseload
    before this tablet could know (it had not pulled the move when the record was made); a
    refusal otherwise."""
    user = pusher.author
    if household is None:
        raise _out_of_reach()
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
    moved = session.scalar(
        select(CaseloadAssignment.version)
        .where(
            CaseloadAssignment.household_id == household_id,
            CaseloadAssignment.advisor_id == user.id,
            CaseloadAssignment.assigned_at <= at,
            CaseloadAssignment.ended_at.is_not(None),
        )
        .order_by(CaseloadAssignment.ended_at.desc())
        .limit(1)
    )
    if moved is not None and not _knew_of_move(pusher, moved, at):
        return "left_caseload"
    raise _out_of_reach()


def _knew_of_move(pusher: Pusher, moved_version: int, at) -> bool:
    """Whether the tablet had pulled the move (the ended assignment's version, where its
    tombstone sorts) before ``at``. Only the latest advance of its pull is kept, so this
    errs towards keeping the record, never towards refusing it."""
    pulled = pusher.pulled_through >= moved_version and pusher.pulled_at is not None
    return pulled and pusher.pulled_at <= at


def _update_household(
    session: Session, pusher: Pusher, mutation: dict, now: datetime, known: Known, bulk: Bulk
):
    # A handed-over tablet's edit also lands when the household went to its new advisor.
    owners = {u.id for u in (pusher.author, pusher.delivered_by) if u is not None}
    # Locked by Known: the merge below decides on the row as committed, and it stays so.
    household = next(iter(known.households.get(i) for i in _uuids([mutation["id"]])), None)
    if household is None or household.assigned_advisor_id not in owners:
        raise _out_of_reach()
    if mutation.get("base_version") is None:
        raise Refusal(
            "invalid",
            "A household update needs base_version.",
            {"base_version": ["Required for updates."]},
        )
    try:
        changes = HOUSEHOLD_EDIT.load(mutation["data"])
    except ValidationError as error:
        raise Refusal("invalid", "The change is not valid.", error.messages) from error
    seen = known.acknowledged.get(household.id, {})
    conflicts = _merge(household, changes, mutation["base_version"], seen)
    diff = audit.changes(household)
    if diff:
        _audit(bulk, pusher, "sync_update", "household", household.id, now, diff)
    if not conflicts:
        return household, {}
    # The other fields are applied; these keep the server's value for the advisor to see.
    answer = {
        "status": "conflict",
        "reason": "conflict",
        "fields": conflicts,
        "message": CONFLICT_MESSAGE,
        "errors": {f: ["Changed on the server since your copy."] for f in conflicts},
    }
    if pusher.delivered_by is None:
        # Never in a delivery on someone else's behalf (issue 21): whoever holds the
        # tablet now would read the household's current phone, address and notes.
        answer["server"] = {f: getattr(household, f) for f in EDITABLE_HOUSEHOLD_FIELDS}
    return household, answer


def note_acknowledged(known: Known, mutation: dict, result: dict, version: int | None) -> None:
    """Remember a household update of this batch answered ``applied``/``duplicate``: its
    fields held the tablet's values at ``version`` (a replay's stored version; for one
    applied now, the household's version before the batch is stamped, which is at least
    every field's).

    The tablet made its later edits of that household on top of it, so for these fields
    their base is at least ``version``: its own earlier value is no conflict (the answer to
    edit 1 lost, then edit 1 and edit 2 sent together). Other fields keep their own base.
    """
    if (mutation["entity"], mutation["op"]) != ("household", "update"):
        return
    if result.get("status") not in {"applied", "duplicate"} or version is None:
        return
    seen = known.acknowledged.setdefault(mutation["id"], {})
    for field in mutation["data"]:
        seen[field] = max(seen.get(field, 0), version)


def _merge(
    household: Household, changes: dict, base_version: int, seen: dict[str, int]
) -> list[str]:
    conflicts = []
    for field, value in changes.items():
        changed_at = (household.field_versions or {}).get(field, 0)
        base = max(base_version, seen.get(field, 0))
        if changed_at > base and getattr(household, field) != _plain(value):
            conflicts.append(field)
            continue
        setattr(household, field, value)  # location: Household.location sets both columns
    return conflicts


def _plain(value):
    if isinstance(value, dict):
        return {"lat": value["lat"], "lon": value["lon"]}
    return value
