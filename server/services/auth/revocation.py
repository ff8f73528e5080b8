"""An admin's two kinds of tablet revocation and the tablet's wipe report (issue 19)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server.models import Device, User
from server.services.core import audit
from server.services.core.errors import Invalid, Unauthorized
from sync.enums import RevokeKind

# Audit actions, per kind, and of the tablet's report that it wiped itself.
REVOKE_ACTIONS = {RevokeKind.retire: "revoke_retire", RevokeKind.lost: "revoke_lost"}
WIPE_ACTION = "wipe"


class Revoked(Unauthorized):
    """401 for a token an admin revoked. Besides the one error shape the body says which
    kind (``revoked``) and whether the tablet must wipe itself now (``wipe``): a lost
    tablet at once; a retired one once it has reported an empty outbox since the
    revocation (everything it held was acknowledged)."""

    def __init__(self, device: Device) -> None:
        lost = device.revoke_kind == RevokeKind.lost
        super().__init__(
            "This tablet was reported lost; it may no longer sync."
            if lost
            else "This tablet was retired; it may only send what it holds."
        )
        self.body_extra = {"revoked": str(device.revoke_kind), "wipe": must_wipe(device)}


def must_wipe(device: Device) -> bool:
    """Whether a revoked tablet is told to wipe itself now."""
    if device.revoke_kind == RevokeKind.lost or device.wiped_at is not None:
        return True
    reported_after = (
        device.reported_at is not None
        and device.revoked_at is not None
        and device.reported_at >= device.revoked_at
    )
    return reported_after and device.pending_count == 0


def check_revoked(device: Device, *, retired_ok: bool) -> None:
    """Refuse a token an admin revoked (:class:`Revoked`), except a retired tablet's that
    has not wiped yet where ``retired_ok`` (it may still push what it holds)."""
    if device.revoke_kind is None:
        return
    if retired_ok and device.revoke_kind == RevokeKind.retire and device.wiped_at is None:
        return
    raise Revoked(device)


def refuse_retired(device: Device) -> None:
    """A retired tablet asked for something other than sending what it holds (a pull):
    refuse, telling it to wipe once its last report showed an empty outbox."""
    if device.revoke_kind is not None:
        raise Revoked(device)


def revoke(session: Session, *, actor: User, device: Device, kind: str, now: datetime) -> None:
    """Revoke ``device``'s token as ``kind`` (retire or lost), audited with what the tablet
    last reported holding unsent (what a lost tablet gives up, as far as the server knows)."""
    kind = RevokeKind(kind)
    device.revoked_at, device.revoke_kind = now, kind
    audit.record(
        session,
        actor=actor,
        action=REVOKE_ACTIONS[kind],
        entity="device",
        entity_id=device.id,
        now=now,
        device_id=device.device_id,
        diff={
            "revoke_kind": [None, str(kind)],
            "pending_count": [None, device.pending_count],
            "reported_at": [None, audit.plain(device.reported_at)],
        },
    )


def record_wipe(
    session: Session, *, device: Device, device_id: str, unsent: int, now: datetime
) -> Device:
    """Note that the tablet destroyed its keys and files, giving up ``unsent`` records; a
    repeated report (its answer was lost) changes nothing."""
    if device_id != device.device_id:
        raise Invalid(
            "This token belongs to another device.",
            {"json": {"device_id": ["Not the device this token was issued to."]}},
        )
    session.refresh(device, with_for_update=True)
    if device.wiped_at is not None:
        return device
    device.wiped_at, device.given_up = now, unsent
    audit.record(
        session,
        actor=device.user,
        action=WIPE_ACTION,
        entity="device",
        entity_id=device.id,
        now=now,
        device_id=device.device_id,
        diff={"wiped_at": [None, now.isoformat()], "given_up": [None, unsent]},
    )
    return device
