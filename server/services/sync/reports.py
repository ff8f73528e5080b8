"""What a tablet reports when it syncs: its outbox, how far it pulled, what it discarded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.models import AuditEvent, Device, DeviceSync, User
from server.services.core import audit
from server.services.core.errors import Forbidden, Invalid
from server.services.sync.pull import Cursor


def report_device(
    session: Session,
    *,
    device,
    pending: int | None,
    oldest_pending_at: datetime | None,
    now: datetime | None = None,
) -> None:
    """Store what a tablet said about its outbox, and when (for the sync-health view and the
    handover view: "nothing pending, reported after the move" needs the report's own time,
    not ``last_seen_at``, which is noted once a minute at most)."""
    if pending is None and oldest_pending_at is None:
        return
    device.pending_count, device.oldest_pending_at = pending, oldest_pending_at
    if now is not None:
        device.reported_at = now


def note_pulled(
    session: Session, *, actor: User, device_id: str, cursor: str, now: datetime
) -> None:
    """Remember how far the tablet has pulled: the cursor it sends proves it applied every
    change before it (a page and its cursor are one local transaction on the tablet).

    Only ever raised, with the time it was raised; a push compares it with a caseload
    change (:func:`server.services.sync.apply.upsert_record`). A cursor this server did not
    issue notes nothing (the pull itself refuses it).
    """
    try:
        through = Cursor.decode(cursor).applied_through
    except Invalid:
        return  # the pull itself answers a bad cursor
    if through <= 0:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DeviceSync)
        .values(user_id=actor.id, device_id=device_id, high_water=0)
        .on_conflict_do_nothing(index_elements=["user_id", "device_id"])
    )
    session.execute(
        update(DeviceSync)
        .where(
            DeviceSync.user_id == actor.id,
            DeviceSync.device_id == device_id,
            DeviceSync.pulled_through < through,
        )
        .values(pulled_through=through, pulled_at=now)
    )


DISCARD_ACTION = "discard_on_tablet"


def record_discards(
    session: Session, *, device: Device, device_id: str, discards: list[dict], now: datetime
) -> int:
    """Record, in the audit trail, records the advisor discarded on the tablet after the
    server refused them (each with the record as it was, so the office keeps the last copy
    of that field work); returns how many were new. A report already recorded (same report
    id, a repeated request) is not recorded twice."""
    if device_id != device.device_id:
        raise Forbidden(
            "This token belongs to another device.",
            {"json": {"device_id": ["Not the device this token was issued to."]}},
        )
    # The device's row lock serialises two copies of one report (a retry racing its
    # original): the second reads the first's event and records nothing.
    session.refresh(device, with_for_update=True)
    earlier = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == DISCARD_ACTION,
            AuditEvent.actor_id == device.user_id,
            AuditEvent.entity_id.in_(sorted({str(d["record_id"]) for d in discards})),
        )
    )
    known = {e.diff.get("report_id", [None, None])[1] for e in earlier}
    recorded = 0
    for report in discards:
        report_id = str(report["id"])
        if report_id in known:
            continue
        known.add(report_id)
        audit.record(
            session,
            actor=device.user,
            action=DISCARD_ACTION,
            entity=report["entity"],
            entity_id=report["record_id"],
            now=now,
            device_id=device.device_id,
            diff={
                "report_id": [None, report_id],
                "household_id": [None, report["household_id"]],
                "reason": [None, report["reason"]],
                "record": [report["record"], None],
                "discarded_at": [None, report["discarded_at"]],
            },
        )
        recorded += 1
    session.flush()
    return recorded
