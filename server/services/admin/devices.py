"""Tablets for admins: every device token with its user and what its last sync reported;
revoking one as retired or lost (issue 19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.models import Device, User
from server.services.admin.accounts import require_admin
from server.services.auth import revocation
from server.services.core.errors import Conflict, Invalid, NotFound
from server.services.core.paging import Page
from server.services.overview import dashboard
from sync.enums import RevokeKind

# Which tokens the list shows: ``live`` also keeps revoked or expired tokens of tablets
# still holding unsent records (they wait for a handover, as on the dashboard).
STATES = ("live", "revoked", "all")


@dataclass(frozen=True)
class DeviceRow:
    """One device token, its user, whether it still works, and its red rules."""

    device: Device
    user: User
    state: str  # live, expired, revoked
    problems: tuple[str, ...]


def _state(device: Device, now: datetime) -> str:
    if device.revoked_at is not None:
        return "revoked"
    return "expired" if device.expires_at <= now else "live"


def list_devices(
    session: Session, actor: User, *, state: str, now: datetime, page: int, page_size: int
) -> Page:
    """Device tokens in ``state`` (see :data:`STATES`), longest silent first."""
    require_admin(actor)
    usable = (Device.revoked_at.is_(None)) & (Device.expires_at > now)
    stmt = select(Device, User).join(User, User.id == Device.user_id)
    if state == "live":
        stmt = stmt.where(or_(usable, Device.pending_count > 0))
    elif state == "revoked":
        stmt = stmt.where(Device.revoked_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Device.last_seen_at.asc().nulls_first(), Device.id)
    rows = session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    items = [
        DeviceRow(
            d, u, _state(d, now), dashboard.problems(d, u, now) if u.role == "advisor" else ()
        )
        for d, u in rows
    ]
    return Page(items=items, total=total, page=page, page_size=page_size)


def revoke_device(
    session: Session, *, actor: User, device_pk: int, kind: str, now: datetime
) -> Device:
    """Revoke a tablet's token as ``kind``: ``retire`` (it sends what it holds, then is told
    to wipe) or ``lost`` (refused from the next request on, which tells it to wipe). Every
    request checks the token (:func:`server.services.auth.tokens.authenticate`)."""
    require_admin(actor)
    if kind not in RevokeKind.codes():
        raise Invalid("Choose retire or lost.", {"kind": ["Not a kind of revocation."]})
    device = session.get(Device, device_pk, with_for_update=True)
    if device is None:
        raise NotFound("No such device.")
    if device.revoked_at is not None:
        raise Conflict("This token was revoked already.")
    revocation.revoke(session, actor=actor, device=device, kind=kind, now=now)
    return device
