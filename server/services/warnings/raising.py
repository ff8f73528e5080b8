"""Raise warnings from submitted visits and interviews, in the transaction that stores them.

Called by the push once its batch is written (and by anything else that submits a record):
each record's rules are evaluated afresh, so a resubmission raises what it now shows and
withdraws an untouched warning it no longer shows. A warning is never raised twice: it is
keyed by household, kind and source (the unique key ``uq_warning_household_id``), and the
household rows are locked first (the one lock order: households, visits, interviews, then
warnings), so two transactions submitting for one household take turns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from server.models import Household, Interview, Visit, Warning
from server.services.core import audit, locks
from server.services.warnings import rules

MODELS = {"visit": Visit, "interview": Interview}
# Key parameters per statement (SQLite's limit).
_CHUNK = 300
_RECORD = ("id", "household_id", "status", "findings")
_COLUMNS = {"visit": (*_RECORD, "outcome", "situation", "urgent"), "interview": _RECORD}


def source_key(entity: str, record_id: uuid.UUID) -> str:
    """What a record-raised warning is keyed by: ``visit:<id>`` or ``interview:<id>``."""
    return f"{entity}:{record_id}"


def raise_for_records(
    session: Session,
    records: Iterable[tuple[str, uuid.UUID]],
    now: datetime,
    *,
    held: Mapping[uuid.UUID, Household] | None = None,
) -> list[Warning]:
    """Evaluate the rules on each (entity, id) record just submitted or resubmitted; raise
    what is missing, reopen what was withdrawn, withdraw open warnings of the same record
    that no longer apply. Returns the warnings raised or reopened.

    ``held``: households this transaction has locked already (the push's); the others
    are locked here, before any warning is read."""
    loaded = _load(session, records)
    if not loaded:
        return []
    households = dict(held or {})
    missing = {r.household_id for _, r in loaded} - households.keys()
    households.update(locks.locked(session, Household, missing))
    histories = _histories(session, loaded)
    wanted = {(e, r.id): _wanted(e, r, histories.get(r.household_id, [])) for e, r in loaded}
    still = {pair for pairs in wanted.values() for pair in pairs}
    existing = _existing(session, loaded, wanted)
    by_key: dict[tuple, list[Warning]] = {}
    for warning in existing.values():
        by_key.setdefault((warning.household_id, warning.source_key), []).append(warning)
    raised: list[Warning] = []
    for entity, record in loaded:
        household = households[record.household_id]
        for kind, key in wanted[(entity, record.id)]:
            found = existing.get((household.id, kind, key))
            warning = _raise(session, household, kind, key, found, now)
            if warning is not None and found is None:
                existing[(household.id, kind, key)] = warning
            if warning is not None:
                raised.append(warning)
        own = by_key.get((household.id, source_key(entity, record.id)), [])
        _withdraw(session, own, still, now)
    return raised


def _load(session: Session, records: Iterable[tuple[str, uuid.UUID]]) -> list[tuple[str, object]]:
    """The records' rule fields (the push holds their locks already), in a stable order."""
    ids: dict[str, set[uuid.UUID]] = {}
    for entity, record_id in records:
        if entity in MODELS:
            ids.setdefault(entity, set()).add(record_id)
    loaded = []
    for entity, model in MODELS.items():
        wanted = sorted(ids.get(entity, ()))
        # Only the columns the rules read: a push of a thousand visits needs no ORM objects.
        columns = [model.__table__.c[name] for name in _COLUMNS[entity]]
        for start in range(0, len(wanted), _CHUNK):
            stmt = select(*columns).where(model.id.in_(wanted[start : start + _CHUNK]))
            rows = session.execute(stmt.order_by(model.id)).all()
            loaded += [(entity, r) for r in rows if r.status in {"submitted", "resubmitted"}]
    return loaded


def _histories(session: Session, loaded) -> dict[uuid.UUID, list]:
    """Each household's visits (id, outcome), oldest first, for the households with an
    unreached attempt among the records: one query for them all."""
    wanted = sorted(
        {r.household_id for e, r in loaded if e == "visit" and r.outcome in rules.NOT_REACHED}
    )
    histories: dict[uuid.UUID, list] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(Visit.household_id, Visit.id, Visit.outcome)
            .where(Visit.household_id.in_(wanted[start : start + _CHUNK]), Visit.status != "draft")
            .order_by(Visit.household_id, Visit.visited_at, Visit.id)
        ).all()
        for row in rows:
            histories.setdefault(row.household_id, []).append(row)
    return histories


def _wanted(entity: str, record, history: list) -> list[tuple[str, str]]:
    """(kind, source key) of every warning ``record`` calls for now (``history``: its
    household's visits, oldest first, when the record is an unreached attempt)."""
    key = source_key(entity, record.id)
    wanted = [(kind, key) for kind in rules.kinds_for(record)]
    if entity == "visit" and record.outcome in rules.NOT_REACHED:
        first = rules.streak_start(history, record.id)
        if first is not None:
            # Keyed by the run's first visit: a fourth attempt belongs to the same warning.
            wanted.append(("not_reached", source_key("visit", first.id)))
    return wanted


def _existing(session: Session, loaded, wanted) -> dict[tuple, Warning]:
    """Warnings of these households with the keys in question, locked (after the
    households and records: the lock order), by (household, kind, key)."""
    pairs = {(r.household_id, source_key(e, r.id)) for e, r in loaded}
    pairs |= {(r.household_id, key) for e, r in loaded for _, key in wanted[(e, r.id)]}
    pairs = sorted(pairs)
    found: dict[tuple, Warning] = {}
    for start in range(0, len(pairs), _CHUNK):
        stmt = (
            select(Warning)
            .where(
                tuple_(Warning.household_id, Warning.source_key).in_(pairs[start : start + _CHUNK])
            )
            .order_by(Warning.id)
            .with_for_update(of=Warning)
        )
        for w in session.scalars(stmt):
            found[(w.household_id, w.kind, w.source_key)] = w
    return found


def _raise(session: Session, household: Household, kind: str, key: str, found, now: datetime):
    """A new warning, or a withdrawn one reopened; None when it stands already."""
    if found is not None:
        if found.status != "closed" or found.disposal is not None:
            return None  # raised before, and still in hand (or worked through): not again
        found.status = "open"
        _audit(session, "warning_reopen", found, now, {"status": ["closed", "open"]})
        return found
    return raise_one(session, household, kind, key, now)


def raise_one(session: Session, household: Household, kind: str, key: str, now: datetime):
    """Add a new warning of ``kind`` by its rule, keyed by ``key``, with its audit event
    (the caller holds the household's lock and knows none has this key)."""
    rule = rules.RULES[kind]
    street, also = rules.streets(rule, household)
    warning = Warning(
        id=uuid.uuid4(),
        household_id=household.id,
        source="visit_rule",
        kind=kind,
        level=rule.level,
        status="open",
        raised_at=now,
        due_by=now + rule.due_in,
        street_id=street,
        also_street_id=also,
        source_key=key,
        message="",
    )
    session.add(warning)
    diff = {"kind": [None, kind], "level": [None, rule.level], "source_key": [None, key]}
    diff["street_id"] = [None, street]
    if also is not None:
        diff["also_street_id"] = [None, also]
    _audit(session, "warning_raise", warning, now, diff)
    return warning


def _withdraw(session: Session, own: list[Warning], still: set, now: datetime) -> None:
    """Close, as withdrawn, the open warnings a record raised (``own``) that no record
    calls for any more (``still``); one somebody took into verification stays theirs."""
    for warning in own:
        if (warning.kind, warning.source_key) in still or warning.status != "open":
            continue
        warning.status = "closed"
        _audit(session, "warning_withdraw", warning, now, {"status": ["open", "closed"]})


def _audit(session: Session, action: str, warning: Warning, now: datetime, diff: dict) -> None:
    audit.record(
        session,
        actor=None,
        action=action,
        entity="warning",
        entity_id=warning.id,
        now=now,
        diff=diff,
    )


def raise_for_moves(
    session: Session, household_ids: Iterable[uuid.UUID], key: str, now: datetime
) -> list[Warning]:
    """An ``address_mismatch`` warning for each household whose residence street was just
    changed (a roster import), to its registration and new residence street, keyed by
    ``key`` (what made the change). The caller holds the households' locks; their streets
    are read as this transaction wrote them."""
    wanted = sorted(set(household_ids))
    if not wanted:
        return []
    column = Household.__table__.c
    homes = session.execute(
        select(column.id, column.registration_street_id, column.residence_street_id).where(
            column.id.in_(wanted)
        )
    ).all()
    have = set(
        session.scalars(
            select(Warning.household_id)
            .where(
                Warning.household_id.in_(wanted),
                Warning.kind == "address_mismatch",
                Warning.source_key == key,
            )
            .order_by(Warning.id)
            .with_for_update(of=Warning)
        )
    )
    return [raise_one(session, h, "address_mismatch", key, now) for h in homes if h.id not in have]
