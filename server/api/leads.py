"""The lead queue (走访发现): households found in the field, for supervisors of their street."""

from __future__ import annotations

from marshmallow import fields, validate

from server.api.blueprint import Blueprint
from server.api.security import actor, login_required
from server.extensions import db
from server.services.leads import queue as leads
from sync.enums import LeadStatus
from sync.records import LeadSchema, StrictSchema

blp = Blueprint(
    "leads", __name__, url_prefix="/api/v1/leads", description="Leads found in the field"
)


class LeadQuerySchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(LeadStatus.codes()))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class LeadOutSchema(LeadSchema):
    received_at = fields.AwareDateTime(dump_only=True)
    flag = fields.String(
        dump_only=True, metadata={"description": "handed_over: delivered by another advisor"}
    )


class LeadPageSchema(StrictSchema):
    items = fields.List(fields.Nested(LeadOutSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


@blp.get("")
@login_required("supervisor", "admin")
@blp.arguments(LeadQuerySchema, location="query")
@blp.response(200, LeadPageSchema)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(403, description="Your role does not see the lead queue")
def list_leads(args):
    """Leads reported in your streets (all for an admin), newest first, 50 to a page."""
    return leads.list_leads(
        db.session,
        actor(),
        status=args.get("status"),
        page=args["page"],
        page_size=args["page_size"],
    )
