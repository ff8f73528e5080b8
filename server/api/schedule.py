"""Visit schedule endpoints: the policy, the due list and its summary."""

from __future__ import annotations

from marshmallow import fields, validate

from server import context
from server.api.blueprint import Blueprint
from server.api.schemas import DAY_ASKED, DB_ID, StrictSchema
from server.api.security import actor, login_required
from server.extensions import db
from server.services.core.transaction import unit_of_work
from server.services.households import schedule
from sync.policy import PolicySchema
from sync.schedule import State

blp = Blueprint(
    "schedule",
    __name__,
    url_prefix="/api/v1/schedule",
    description="Visit schedule: policy, due list, summary",
)


class DueQuerySchema(StrictSchema):
    street = fields.Integer(validate=DB_ID, metadata={"description": "street id"})
    community = fields.Integer(validate=DB_ID, metadata={"description": "community id"})
    advisor = fields.Integer(validate=DB_ID, metadata={"description": "assigned advisor id"})
    state = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in State])),
        metadata={"description": "only these states (repeatable)"},
    )
    on = fields.Date(validate=DAY_ASKED, metadata={"description": "local date (default: today)"})
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class SummaryQuerySchema(StrictSchema):
    street = fields.Integer(validate=DB_ID)
    community = fields.Integer(validate=DB_ID)
    on = fields.Date(validate=DAY_ASKED)


class DueItemSchema(StrictSchema):
    household_id = fields.UUID(attribute="household.id")
    external_id = fields.String(attribute="household.external_id")
    head_name = fields.String(attribute="household.head_name")
    residence_address = fields.String(attribute="household.residence_address")
    residence_community_id = fields.Integer(attribute="household.residence_community_id")
    assigned_advisor_id = fields.Integer(attribute="household.assigned_advisor_id", allow_none=True)
    hardship_level = fields.String(attribute="household.hardship_level")
    visit_cycle = fields.String(attribute="household.visit_cycle")
    state = fields.String(attribute="status.state")
    days_left = fields.Integer(attribute="status.days_left")
    missed_periods = fields.Integer(attribute="status.missed_periods")
    last_visit = fields.Date(attribute="status.last_visit", allow_none=True)
    period_start = fields.Date(attribute="status.period.start")
    period_end = fields.Date(attribute="status.period.end")
    reason = fields.String(metadata={"description": "the status in one sentence"})


class DuePageSchema(StrictSchema):
    items = fields.List(fields.Nested(DueItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class CountsSchema(StrictSchema):
    done = fields.Integer()
    due = fields.Integer()
    overdue = fields.Integer()
    new = fields.Integer()
    total = fields.Integer()
    completion_rate = fields.Float(metadata={"description": "done / total, 0..1"})


class CommunityCountsSchema(CountsSchema):
    community_id = fields.Integer()
    community = fields.String()


class SummarySchema(CountsSchema):
    on = fields.Date()
    communities = fields.List(fields.Nested(CommunityCountsSchema))


class PolicyOutSchema(StrictSchema):
    policy = fields.Nested(PolicySchema)
    changed_households = fields.Integer(
        metadata={"description": "households whose cycle changed with this save"}
    )


def _query(args) -> schedule.DueQuery:
    return schedule.DueQuery(
        on=args.get("on") or context.today(),
        street_id=args.get("street"),
        community_id=args.get("community"),
        advisor_id=args.get("advisor"),
        states=frozenset(args.get("state") or ()),
    )


@blp.get("/due")
@login_required()
@blp.arguments(DueQuerySchema, location="query")
@blp.response(200, DuePageSchema)
@blp.alt_response(403, description="Filter outside your area")
@blp.alt_response(404, description="Filter names no such street or community")
def due(args):
    """Households to visit: overdue first (most missed periods first), then fewest days left."""
    return schedule.due_list(
        db.session,
        actor(),
        _query(args),
        tz=context.tz(),
        page=args["page"],
        page_size=args["page_size"],
        lang=args["lang"],
    )


@blp.get("/summary")
@login_required()
@blp.arguments(SummaryQuerySchema, location="query")
@blp.response(200, SummarySchema)
@blp.alt_response(403, description="Filter outside your area")
@blp.alt_response(404, description="Filter names no such street or community")
def summary(args):
    """Counts per state for each community, and the current period's completion rate."""
    return schedule.summary(db.session, actor(), _query(args), tz=context.tz())


@blp.get("/policy")
@login_required()
@blp.response(200, PolicyOutSchema)
def get_policy():
    """The visit-cycle policy in force."""
    return {"policy": schedule.get_policy(db.session)}


@blp.put("/policy")
@login_required("admin")
@blp.arguments(PolicySchema)
@blp.response(200, PolicyOutSchema)
@blp.alt_response(403, description="Only admins edit the policy")
def put_policy(policy):
    """Replace the policy; every household's cycle is recomputed (and audited) at once."""
    with unit_of_work(db.session):
        saved, changed = schedule.save_policy(
            db.session,
            actor=actor(),
            policy=policy,
            today=context.today(),
            now=context.now(),
        )
    return {"policy": saved, "changed_households": changed}
