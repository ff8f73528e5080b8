"""Sync endpoints for tablets (pull, push) and the review workflow of their records."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import jsonify, request
from marshmallow import fields, validate

from server import context
from server.api.blueprint import Blueprint
from server.api.schemas import StrictSchema
from server.api.security import actor, device, login_required, revoked_token_required
from server.extensions import db
from server.services.admin import lease
from server.services.auth import revocation
from server.services.core.errors import TooLarge
from server.services.core.transaction import unit_of_work
from server.services.review import workflow
from server.services.sync import pull as sync_pull
from server.services.sync import push as sync_push
from server.services.sync import reports
from sync.protocol import ENTITIES, SCHEMA_VERSION
from sync.records import InterviewSchema, VisitSchema

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Tablet sync and review")


class DeviceReportSchema(StrictSchema):
    pending = fields.Integer(data_key="X-Pending-Count", validate=validate.Range(0, 10**9))
    oldest = fields.AwareDateTime(data_key="X-Oldest-Pending-At")


class PushHeadersSchema(DeviceReportSchema):
    key = fields.String(data_key="Idempotency-Key", required=True, validate=validate.Length(1, 64))


class PullQuerySchema(StrictSchema):
    cursor = fields.String(load_default="", validate=validate.Length(max=200))
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 2000))


class ChangeSchema(StrictSchema):
    entity = fields.String(validate=validate.OneOf(ENTITIES))
    id = fields.String()
    version = fields.Integer()
    deleted = fields.Boolean()
    reason = fields.String(metadata={"description": "for tombstones: unassigned or deleted"})
    data = fields.Dict(allow_none=True)


LEASE_DOC = {"description": "until when the tablet may show personal data offline (issue 19)"}


class PullSchema(StrictSchema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = fields.String()
    has_more = fields.Boolean()
    remaining = fields.Integer(
        metadata={
            "description": "changes of this run still to come after this page (0 on the last)"
        }
    )
    server_time = fields.String()
    lease_until = fields.String(metadata=LEASE_DOC)


class MutationSchema(StrictSchema):
    checked_later = ("data",)  # by the entity's schema, per mutation (a rejected result)
    mutation_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, 2**62))
    entity = fields.String(required=True, validate=validate.Length(1, 32))
    op = fields.String(required=True, validate=validate.Length(1, 16))
    id = fields.UUID(required=True)
    base_version = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 2**62)
    )
    data = fields.Dict(required=True)


class PushSchema(StrictSchema):
    device_id = fields.String(required=True, validate=validate.Length(1, 64))
    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    mutations = fields.List(fields.Nested(MutationSchema), required=True)
    on_behalf_of = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={
            "description": "a tablet that changed hands: the token it held for the advisor "
            "who made these mutations (proves authorship; may be revoked or expired)"
        },
    )


class ResultSchema(StrictSchema):
    mutation_id = fields.Integer()
    status = fields.String(
        validate=validate.OneOf(["applied", "duplicate", "conflict", "rejected"])
    )
    version = fields.Integer()
    reason = fields.String()
    message = fields.String()
    errors = fields.Dict()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    server = fields.Dict()
    high_water = fields.Integer(
        metadata={"description": "stale/reused mutation ids: the mark to number above"}
    )


class PushResultSchema(StrictSchema):
    results = fields.List(fields.Nested(ResultSchema))
    server_time = fields.String()
    lease_until = fields.String(metadata={"description": "as for pull; absent when retired"})
    revoked = fields.String(
        validate=validate.OneOf(["retire"]),
        metadata={"description": "retired: lock the screens, send the rest, then wipe"},
    )


class DiscardSchema(StrictSchema):
    id = fields.UUID(required=True, metadata={"description": "the report's own id (repeats)"})
    entity = fields.String(required=True, validate=validate.OneOf(["visit", "interview"]))
    record_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 64))
    record = fields.Dict(required=True, metadata={"description": "the record as discarded"})
    discarded_at = fields.AwareDateTime(required=True)


class DiscardsSchema(StrictSchema):
    device_id = fields.String(required=True, validate=validate.Length(1, 64))
    discards = fields.List(
        fields.Nested(DiscardSchema), required=True, validate=validate.Length(1, 1000)
    )


class DiscardsResultSchema(StrictSchema):
    recorded = fields.Integer()


class WipedSchema(StrictSchema):
    device_id = fields.String(required=True, validate=validate.Length(1, 64))
    unsent = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(0, 10**9),
        metadata={"description": "unsent records the wipe gave up"},
    )


class ReturnSchema(StrictSchema):
    comment = fields.String(required=True, validate=validate.Length(2, 2000))


def _report(headers) -> None:
    # A unit of its own: the tablet's account of its outbox (and its being seen) is kept
    # even if the sync that follows fails, and a pull's snapshot must start afresh.
    with unit_of_work(db.session):
        reports.report_device(
            db.session,
            device=device(),
            pending=headers.get("pending"),
            oldest_pending_at=headers.get("oldest"),
            now=context.now(),
        )


@blp.get("/sync/pull")
@login_required("advisor", retired_ok=True)
@blp.arguments(PullQuerySchema, location="query")
@blp.arguments(DeviceReportSchema, location="headers", as_kwargs=True)
@blp.response(200, PullSchema)
@blp.alt_response(403, description="Only advisors' tablets sync")
def pull(args, **headers):
    """Changes for your caseload after `cursor`, in commit order (see docs/api.md)."""
    _report(headers)
    # After the report: a retired tablet whose outbox is now empty is told to wipe.
    revocation.refuse_retired(device())
    with unit_of_work(db.session):
        reports.note_pulled(
            db.session,
            actor=actor(),
            device_id=device().device_id,
            cursor=args["cursor"],
            now=context.now(),
        )
    # Every read of one pull comes from one snapshot (DESIGN §5).
    with unit_of_work(db.session, snapshot=True):
        page = sync_pull.pull(
            db.session, actor=actor(), cursor=args["cursor"], limit=args["limit"], now=context.now()
        )
        page["lease_until"] = lease.lease_until(db.session, context.now()).isoformat()
    # The records were dumped by their wire schemas already; a Response passes through
    # flask-smorest untouched, sparing a second serialisation of up to 2,000 records.
    return jsonify(page)


@blp.post("/sync/push")
@login_required("advisor", retired_ok=True)
@blp.arguments(PushSchema)
@blp.arguments(PushHeadersSchema, location="headers", as_kwargs=True)
@blp.response(200, PushResultSchema)
@blp.alt_response(403, description="Only advisors' tablets sync; device mismatch")
def push(body, key, **headers):
    """Apply the tablet's mutations exactly once; one result per mutation (docs/api.md)."""
    if len(body["mutations"]) > sync_push.MAX_MUTATIONS:
        raise TooLarge(
            f"At most {sync_push.MAX_MUTATIONS} mutations per push.",
            {"json": {"mutations": ["Too many; send them in batches."]}},
        )
    _report(headers)
    with unit_of_work(db.session):
        answer = sync_push.push(
            db.session,
            device=device(),
            key=key,
            body=body,
            raw=request.get_data(cache=True),
            now=context.now(),
        )
        # Added after the idempotent reply was kept: a replay says whether the tablet was
        # revoked since; its lease runs from the push's own server_time, so a replay of
        # the same request answers the very same lease.
        answer = {**answer, **_standing(device(), answer["server_time"])}
    # As for pull: the service built the answer in its wire form; passing a Response
    # through spares dumping up to 1,000 results a second time (PushResultSchema still
    # documents it).
    return jsonify(answer)


def _standing(dev, server_time: str) -> dict:
    """A push answer's lease, or, for a retired tablet, that it is retired (no lease)."""
    if dev.revoke_kind is not None:
        return {"revoked": str(dev.revoke_kind)}
    applied_at = datetime.fromisoformat(server_time)
    return {"lease_until": lease.lease_until(db.session, applied_at).isoformat()}


@blp.post("/sync/discards")
@login_required("advisor", retired_ok=True)
@blp.arguments(DiscardsSchema)
@blp.response(200, DiscardsResultSchema)
@blp.alt_response(403, description="Only advisors' tablets sync; device mismatch")
def discards(body):
    """Records the advisor discarded after the server refused them (docs/api.md)."""
    with unit_of_work(db.session):
        recorded = reports.record_discards(
            db.session,
            device=device(),
            device_id=body["device_id"],
            discards=body["discards"],
            now=context.now(),
        )
    return {"recorded": recorded}


@blp.post("/sync/wiped")
@revoked_token_required
@blp.arguments(WipedSchema)
@blp.response(204)
@blp.alt_response(401, description="Not a token an admin revoked")
def wiped(body):
    """A revoked tablet reports that it destroyed its keys and files (its token, dead for
    everything else, still says which tablet it was); a repeat changes nothing."""
    with unit_of_work(db.session):
        revocation.record_wipe(
            db.session,
            device=device(),
            device_id=body["device_id"],
            unsent=body["unsent"],
            now=context.now(),
        )


def _review(entity: str, schema):
    @blp.post(f"/{entity}s/<uuid:record_id>/return", endpoint=f"return_{entity}")
    @login_required("supervisor", "admin")
    @blp.arguments(ReturnSchema)
    @blp.response(200, schema)
    @blp.alt_response(403, description="Only supervisors and admins review")
    @blp.alt_response(404, description="No such record in your area")
    @blp.alt_response(409, description="Not waiting for review")
    def return_(data, record_id: uuid.UUID):
        """Return the record to its advisor with a comment."""
        with unit_of_work(db.session):
            return workflow.return_record(
                db.session,
                actor=actor(),
                entity=entity,
                record_id=record_id,
                comment=data["comment"],
                now=context.now(),
            )

    @blp.post(f"/{entity}s/<uuid:record_id>/approve", endpoint=f"approve_{entity}")
    @login_required("supervisor", "admin")
    @blp.response(200, schema)
    @blp.alt_response(403, description="Only supervisors and admins review")
    @blp.alt_response(404, description="No such record in your area")
    @blp.alt_response(409, description="Not waiting for review")
    def approve(record_id: uuid.UUID):
        """Approve the record; it is locked from now on."""
        with unit_of_work(db.session):
            return workflow.approve_record(
                db.session, actor=actor(), entity=entity, record_id=record_id, now=context.now()
            )


_review("visit", VisitSchema)
_review("interview", InterviewSchema)
