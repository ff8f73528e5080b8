"""The visit-cycle policy edited as data: validated by :mod:`sync.policy`, previewed, and
saved (every cycle refreshed, cycle starts kept) by
:func:`server.services.households.schedule.save_policy`, like the API's PUT."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from server.models import User
from server.services.admin.accounts import require_admin
from server.services.core.errors import Invalid
from server.services.households import policy_preview, schedule
from sync.policy import Policy, load_policy


def save_policy_data(
    session: Session, *, actor: User, data: dict[str, Any], today: date, now: datetime
) -> tuple[Policy, int]:
    """Validate ``data`` (the policy's JSON form) and save it; returns the policy and how many
    households changed cycle. On a refusal nothing is written: the previous policy stays.

    Field errors keep marshmallow's shape, e.g. ``{"rules": {0: {"name": [...]}}}``.
    """
    require_admin(actor)
    policy = _load(data)
    return schedule.save_policy(session, actor=actor, policy=policy, today=today, now=now)


def preview_policy_data(
    session: Session, *, actor: User, data: dict[str, Any], today: date, tz: str
) -> policy_preview.PolicyPreview:
    """What saving ``data`` would change (validated as for a save; writes nothing)."""
    require_admin(actor)
    return policy_preview.preview(session, policy=_load(data), today=today, tz=tz)


def _load(data: dict[str, Any]) -> Policy:
    try:
        return load_policy(data)
    except ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        raise Invalid("The policy was not saved.", messages) from None
    except ValueError as error:  # a check of the Policy/Rule classes behind the schema's
        raise Invalid("The policy was not saved.", {"_schema": [str(error)]}) from None
