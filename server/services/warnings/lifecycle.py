"""A warning's lifecycle: open → verifying → disposed → closed, each step audited."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Area, Household, User, Warning
from server.services.core import audit, scope
from server.services.core.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.warnings import rules

# step → (the status it starts from, the status it moves the warning to).
STEPS = {
    "take": ("open", "verifying"),
    "dispose": ("verifying", "disposed"),
    "close": ("disposed", "closed"),
}
# What a disposal needs besides its code: whom it was referred to, why nothing was done.
NEEDS = {"referred": "referred_to", "no_action": "disposal_reason"}
NEED_MESSAGES = {
    "referred_to": "Say whom it was referred to.",
    "disposal_reason": "Give the reason nothing is done.",
}
WORKERS = {"supervisor", "admin"}


def get_warning(session: Session, actor: User, warning_id: uuid.UUID) -> Warning:
    """A warning sent to one of the actor's streets (404 for any other: ids cannot be probed)."""
    if actor.role not in WORKERS:
        raise Forbidden("Only supervisors and admins work on warnings.")
    stmt = select(Warning).where(Warning.id == warning_id, scope.warning_filter(session, actor))
    warning = session.scalar(stmt)
    if warning is None:
        raise NotFound("No such warning, or it is outside your area.")
    return warning


def details(session: Session, warning: Warning) -> dict:
    """What a warning's page shows beside it: its household, the streets it went to, and
    the record that raised it as ``(entity, id)`` (None for a scan's or the platform's)."""
    ids = [i for i in (warning.street_id, warning.also_street_id) if i is not None]
    entity, _sep, record_id = (warning.source_key or "").partition(":")
    return {
        "household": session.get(Household, warning.household_id),
        "streets": [session.get(Area, i) for i in ids],
        "source": (entity, record_id) if entity in ("visit", "interview") else None,
    }


def _step(session: Session, actor: User, warning_id: uuid.UUID, step: str) -> Warning:
    """The warning, locked until commit and read again, if ``step`` may start from it: of
    two supervisors acting on it at once, the second sees the first's step."""
    warning = get_warning(session, actor, warning_id)
    session.refresh(warning, with_for_update=True)
    start = STEPS[step][0]
    if warning.status != start:
        raise Conflict(
            "The warning has moved on; reload it.", {"status": [f"Is {warning.status}."]}
        )
    return warning


def _move(session, actor: User, warning: Warning, step: str, now: datetime, diff: dict) -> None:
    old, new = STEPS[step]
    warning.status = new
    audit.record(
        session,
        actor=actor,
        action=f"warning_{step}",
        entity="warning",
        entity_id=warning.id,
        now=now,
        diff={"status": [old, new], **diff},
    )


def take(session: Session, *, actor: User, warning_id: uuid.UUID, now: datetime) -> Warning:
    """Take an open warning into verification (核实)."""
    warning = _step(session, actor, warning_id, "take")
    _move(session, actor, warning, "take", now, {})
    return warning


def dispose(
    session: Session,
    *,
    actor: User,
    warning_id: uuid.UUID,
    disposal: str,
    referred_to: str = "",
    reason: str = "",
    now: datetime,
) -> Warning:
    """Record how a warning in verification was disposed of; ``referred`` names whom to,
    ``no_action`` gives the reason. Only the disposals that fit its kind are taken."""
    warning = _step(session, actor, warning_id, "dispose")
    values = {"referred_to": (referred_to or "").strip(), "disposal_reason": (reason or "").strip()}
    errors = check_disposal(warning.kind, disposal, values)
    if errors:
        raise Invalid("The disposal is not complete.", errors)
    diff = {"disposal": [None, disposal]}
    warning.disposal = disposal
    need = NEEDS.get(disposal)
    if need is not None:
        setattr(warning, need, values[need])
        diff[need] = [None, values[need]]
    _move(session, actor, warning, "dispose", now, diff)
    return warning


def check_disposal(kind: str, disposal: str, values: dict[str, str]) -> dict[str, list[str]]:
    """Field errors of a disposal of a warning of ``kind`` (none when it is acceptable)."""
    if disposal not in rules.disposals(kind):
        return {"disposal": ["Choose one of the disposals that fit this warning."]}
    need = NEEDS.get(disposal)
    if need is not None and not values.get(need):
        return {need: [NEED_MESSAGES[need]]}
    if need is not None and len(values[need]) > (200 if need == "referred_to" else 500):
        return {need: ["Too long."]}
    return {}


def close(session: Session, *, actor: User, warning_id: uuid.UUID, now: datetime) -> Warning:
    """Close a disposed warning (办结)."""
    warning = _step(session, actor, warning_id, "close")
    _move(session, actor, warning, "close", now, {})
    return warning
