"""The offline lease (issue 19): how long a tablet may show personal data without a sync."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import DevicePolicy, User
from server.services.admin.accounts import require_admin
from server.services.core import audit
from server.services.core.errors import Invalid
from sync.protocol import DEFAULT_LEASE_HOURS

# The lease an admin may choose: at least an hour (a tablet syncing hourly keeps working),
# at most 30 days (a stolen tablet's screens must lock some day even offline).
LEASE_HOURS_RANGE = (1, 30 * 24)


def lease_hours(session: Session) -> int:
    """The offline lease's length in hours (the default until an admin sets one)."""
    hours = session.scalar(select(DevicePolicy.lease_hours).where(DevicePolicy.id == 1))
    return DEFAULT_LEASE_HOURS if hours is None else hours


def lease_until(session: Session, now: datetime) -> datetime:
    """Until when a tablet that synced ``now`` may show personal data offline."""
    return now + timedelta(hours=lease_hours(session))


def set_lease_hours(session: Session, *, actor: User, hours: int, now: datetime) -> int:
    """Change the lease's length (admins; audited); tablets get it at their next sync."""
    require_admin(actor)
    low, high = LEASE_HOURS_RANGE
    if not low <= hours <= high:
        raise Invalid(
            "The lease was not saved.",
            {
                "lease_hours": [
                    f"Must be greater than or equal to {low} and less than or equal to {high}."
                ]
            },
        )
    policy = session.get(DevicePolicy, 1, with_for_update=True)
    old = policy.lease_hours if policy is not None else DEFAULT_LEASE_HOURS
    if policy is None:
        policy = DevicePolicy(id=1, lease_hours=hours)
        session.add(policy)
    policy.lease_hours, policy.updated_at, policy.updated_by_id = hours, now, actor.id
    audit.record(
        session,
        actor=actor,
        action="lease_policy",
        entity="device_policy",
        entity_id=1,
        now=now,
        diff={"lease_hours": [old, hours]},
    )
    return hours
