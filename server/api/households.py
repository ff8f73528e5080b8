"""Household endpoints: list, read, enrol and edit households and members, within scope."""

from __future__ import annotations

import uuid

from server import context
from server.api import schemas
from server.api.blueprint import Blueprint
from server.api.security import actor, login_required
from server.extensions import db
from server.services.core.transaction import unit_of_work
from server.services.households import edits, households

blp = Blueprint(
    "households",
    __name__,
    url_prefix="/api/v1/households",
    description="Households and their members",
)


@blp.get("")
@login_required()
@blp.arguments(schemas.HouseholdQuerySchema, location="query")
@blp.response(200, schemas.HouseholdPageSchema)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(403, description="Filter outside your area")
@blp.alt_response(404, description="Filter names no such street or community")
def list_households(args):
    """Households you may see, with optional filters, 50 to a page."""
    filters = households.HouseholdFilter(
        street_id=args.get("street"),
        community_id=args.get("community"),
        advisor_id=args.get("advisor"),
        q=args.get("q"),
        separated=args.get("separated"),
    )
    return households.list_households(db.session, actor(), filters, args["page"], args["page_size"])


@blp.post("")
@login_required("supervisor", "admin")
@blp.arguments(schemas.HouseholdCreateSchema)
@blp.response(201, schemas.HouseholdDetailSchema)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(403, description="Your role may not enrol households")
@blp.alt_response(422, description="Field errors")
def enrol_household(data):
    """Enrol a household with its members (supervisors in their area, admins)."""
    with unit_of_work(db.session):
        household = households.enrol_household(
            db.session, actor=actor(), data=data, now=context.now(), tz=context.tz()
        )
    return households.get_household(db.session, actor(), household.id)


@blp.get("/<uuid:household_id>")
@login_required()
@blp.response(200, schemas.HouseholdDetailSchema)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(404, description="No such household in your area")
def get_household(household_id: uuid.UUID):
    """One household with its members (ID numbers masked for advisors)."""
    return households.get_household(db.session, actor(), household_id)


@blp.patch("/<uuid:household_id>")
@login_required("supervisor", "admin")
@blp.arguments(edits.HouseholdUpdateSchema(partial=edits.HOUSEHOLD_EDITABLE))
@blp.response(200, schemas.HouseholdDetailSchema)
@blp.alt_response(403, description="Your role may not change households")
@blp.alt_response(404, description="No such household in your area")
def update_household(changes, household_id: uuid.UUID):
    """Change a household's situation; its visit cycle is recomputed and audited."""
    with unit_of_work(db.session):
        households.update_household(
            db.session,
            actor=actor(),
            household_id=household_id,
            changes=changes,
            now=context.now(),
            tz=context.tz(),
        )
    return households.get_household(db.session, actor(), household_id)


@blp.patch("/<uuid:household_id>/persons/<uuid:person_id>")
@login_required("supervisor", "admin")
@blp.arguments(edits.PersonUpdateSchema(partial=edits.PERSON_EDITABLE))
@blp.response(200, schemas.HouseholdDetailSchema)
@blp.alt_response(403, description="Your role may not change households")
@blp.alt_response(404, description="No such member in your area")
def update_person(changes, household_id: uuid.UUID, person_id: uuid.UUID):
    """Change a member's health, labour capacity or employment; the cycle follows."""
    with unit_of_work(db.session):
        households.update_person(
            db.session,
            actor=actor(),
            household_id=household_id,
            person_id=person_id,
            changes=changes,
            now=context.now(),
            tz=context.tz(),
        )
    return households.get_household(db.session, actor(), household_id)
