"""Escrowed store keys: a tablet deposits one; another advisor signed in on it gets it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.models import Device, DeviceEscrow
from server.services.core import audit
from server.services.core.errors import Forbidden, NotFound


def deposit(session: Session, *, device: Device, key: str, now: datetime) -> None:
    """Keep the escrow key of the tablet this token belongs to (a new one replaces the old:
    the tablet re-wraps its data key under it first)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"key": key, "user_id": device.user_id, "deposited_at": now}
    session.execute(
        insert(DeviceEscrow)
        .values(device_id=device.device_id, **values)
        .on_conflict_do_update(index_elements=["device_id"], set_=values)
    )
    audit.record(
        session,
        actor=device.user,
        action="escrow_deposit",
        entity="device",
        entity_id=device.id,
        now=now,
        device_id=device.device_id,
    )


def release(session: Session, *, device: Device, now: datetime) -> str:
    """The escrow key of the tablet this token was issued to, for the advisor now signed in
    on it: its store, locked under the earlier advisor's keys, opens so their unsent records
    can be delivered. Never for a tablet an admin reported lost or retired. Audited."""
    escrow = session.scalar(
        select(DeviceEscrow).where(DeviceEscrow.device_id == device.device_id).with_for_update()
    )
    if escrow is None:
        raise NotFound("No key was deposited for this tablet.")
    # Revoked after the key was deposited: that tablet is lost or retired. (A tablet wiped
    # and signed in again deposits a new key later than its old revocation.)
    revoked = session.scalar(
        select(Device.id).where(
            Device.device_id == device.device_id,
            Device.revoke_kind.is_not(None),
            Device.revoked_at >= escrow.deposited_at,
        )
    )
    if revoked is not None:
        raise Forbidden("This tablet was revoked by an admin; its data stays locked.")
    audit.record(
        session,
        actor=device.user,
        action="escrow_release",
        entity="device",
        entity_id=device.id,
        now=now,
        device_id=device.device_id,
        diff={"deposited_by": [escrow.user_id, None]},
    )
    return escrow.key
