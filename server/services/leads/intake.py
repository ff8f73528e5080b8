"""Leads (走访发现): a pushed lead joins its author's street queue (the push handler)."""

from __future__ import annotations

import uuid
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from server.models import Lead, User
from server.services.core import audit
from server.services.core.push_types import FUTURE_TOLERANCE, Pusher, Refusal, payload_hash
from sync.records import LeadSchema

_SCHEMA = LeadSchema()


def upsert_lead(session: Session, pusher: Pusher, mutation: dict, now: datetime) -> tuple:
    """Store a pushed lead in its author's street queue; the same lead again is a duplicate.

    A lead is written once: what the advisor saw is a report, and the queue's decision is
    the supervisor's, so a different lead under a stored id is refused, never merged.
    """
    data = _load(mutation["data"], mutation["id"])
    _dated_sanely(data, now)
    digest = payload_hash(mutation["data"])
    stored = session.get(Lead, mutation["id"])
    if stored is not None:
        if stored.advisor_id == pusher.author.id and stored.payload_hash == digest:
            return stored, {"status": "duplicate"}
        raise Refusal(
            "locked",
            "This lead is in the supervisors' queue and cannot change; report a new one.",
            {"id": ["A lead with this id was received before."]},
        )
    street_id = _street_of(pusher.author)
    lead = Lead(
        **{k: v for k, v in data.items() if k not in {"id", "advisor_id", "device_id"}},
        id=mutation["id"],
        street_id=street_id,
        advisor_id=pusher.author.id,
        device_id=pusher.device_id,
        received_at=now,
        status="new",
        flag="handed_over" if pusher.delivered_by is not None else None,
        payload_hash=digest,
    )
    session.add(lead)
    diff = {"fields": [None, sorted(data)], "street_id": [None, street_id]}
    if pusher.delivered_by is not None:
        diff["on_behalf_of"] = [None, pusher.author.id]
    audit.record(
        session,
        actor=pusher.delivered_by or pusher.author,
        action="sync_create",
        entity="lead",
        entity_id=lead.id,
        now=now,
        device_id=pusher.device_id,
        diff=diff,
    )
    return lead, {}


def _load(data: dict, record_id: uuid.UUID) -> dict:
    try:
        loaded = _SCHEMA.load(data)
    except ValidationError as error:
        raise Refusal("invalid", "The lead is not valid.", error.messages) from error
    if loaded.get("id", record_id) != record_id:
        raise Refusal(
            "invalid",
            "The record id differs from the mutation id.",
            {"id": ["Must equal the mutation's id."]},
        )
    loaded.pop("id", None)
    return loaded


def _street_of(advisor: User) -> int:
    """The street whose queue an advisor's leads join: their street, or their community's
    (an advisor's account always has one of the two: :data:`server.services.auth.users.AREA_KINDS`).

    The tablet never names it, so a lead cannot be sent to another street's queue.
    """
    area = advisor.area
    return area.id if area.kind == "street" else area.parent_id


def _dated_sanely(data: dict, now: datetime) -> None:
    if data["found_at"] > now + FUTURE_TOLERANCE:
        raise Refusal(
            "invalid",
            "The lead is dated in the future.",
            {"found_at": ["Later than the server's clock allows; check the tablet's time."]},
        )
