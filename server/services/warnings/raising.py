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
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from server.models import Household, Interview, Visit, Warning
from server.services.core import audit, locks
from server.services.warnings import rules

MODELS = {"visit": Visit, "interview": Interview}
# Key parameters per statement (SQLite's limit).
_CHUNK = 300


def source_key(entity: str, record_id: uuid.UUID) -> str:
    """What a record-raised warning is keyed by: ``visit:<id>`` or ``interview:<id>``."""
    return f"{entity}:{record_id}"


def raise_for_records(
    session: Session, records: Iterable[tuple[str, uuid.UUID]], now: datetime
) -> list[Warning]:
    """Evaluate the rules on each (entity, id) record just submitted or resubmitted; raise
    what is missing, reopen what was withdrawn, withdraw open warnings of the same record
    that no longer apply. Returns the warnings raised or reopened."""
    loaded = _load(session, records)
    if not loaded:
        return []
    households = locks.locked(session, Household, {r.household_id for _, r in loaded})
    wanted = {
        (entity, record.id): _wanted(session, entity, record, households[record.household_id])
        for entity, record in loaded
    }
    existing = _existing(session, loaded, wanted)
    raised: list[Warning] = []
    for entity, record in loaded:
        household = households[record.household_id]
        for kind, key in wanted[(entity, record.id)]:
            found = existing.get((household.id, kind, key))
            warning = _raise(session, household, kind, key, found, now)
            if warning is not None:
                existing[(household.id, kind, key)] = warning
                raised.append(warning)
        _withdraw(session, existing, household.id, source_key(entity, record.id), wanted, now)
    return raised


def _load(session: Session, records: Iterable[tuple[str, uuid.UUID]]) -> list[tuple[str, object]]:
    """The records, locked (households before them is the caller's order: the push holds
    them already; here they are only read again), in a stable order."""
    ids: dict[str, set[uuid.UUID]] = {}
    for entity, record_id in records:
        if entity in MODELS:
            ids.setdefault(entity, set()).add(record_id)
    loaded = []
    for entity, model in MODELS.items():
        wanted = sorted(ids.get(entity, ()))
        for start in range(0, len(wanted), _CHUNK):
            stmt = select(model).where(model.id.in_(wanted[start : start + _CHUNK]))
            rows = session.scalars(stmt.order_by(model.id)).all()
            loaded += [(entity, r) for r in rows if r.status in {"submitted", "resubmitted"}]
    return loaded


def _wanted(session: Session, entity: str, record, household: Household) -> list[tuple[str, str]]:
    """(kind, source key) of every warning ``record`` calls for now."""
    key = source_key(entity, record.id)
    wanted = [(kind, key) for kind in rules.kinds_for(record)]
    if entity == "visit" and record.outcome in rules.NOT_REACHED:
        history = session.execute(
            select(Visit.id, Visit.outcome)
            .where(Visit.household_id == household.id, Visit.status != "draft")
            .order_by(Visit.visited_at, Visit.id)
        ).all()
        first = rules.streak_start(history, record.id)
        if first is not None:
            # Keyed by the run's first visit: a fourth attempt belongs to the same warning.
            wanted.append(("not_reached", source_key("visit", first.id)))
    return wanted


def _existing(session: Session, loaded, wanted) -> dict[tuple, Warning]:
    """Warnings of these households with the keys in question, locked (after the
    households and records: the lock order), by (household, kind, key)."""
    keys = {source_key(e, r.id) for e, r in loaded}
    keys |= {key for pairs in wanted.values() for _, key in pairs}
    pairs = sorted({(r.household_id, k) for _, r in loaded for k in keys})
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


def _withdraw(session, existing: dict, household_id, key: str, wanted: dict, now) -> None:
    """Close, as withdrawn, the open warnings raised by this record that it no longer
    raises (one somebody took into verification stays theirs to finish)."""
    still = {pair for pairs in wanted.values() for pair in pairs}
    for (hid, kind, k), warning in existing.items():
        if hid != household_id or k != key or (kind, k) in still:
            continue
        if warning.status == "open":
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
