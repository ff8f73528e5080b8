"""Leads (走访发现): the street's pending leads; confirm one into monitoring or decline it."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.blueprint import bp
from server.console.caseloads.forms import ConfirmLeadForm, DeclineLeadForm, show_errors
from server.console.labels import choices
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.core import areas_in_scope, paging
from server.services.core.errors import Conflict, Invalid
from server.services.core.transaction import unit_of_work
from server.services.leads import decisions, queue

PAGE_SIZE = 50
STATUSES = ("new", "confirmed", "dismissed")


# The endpoint is ``console.leads`` (nav.py); the function's own name would shadow the
# ``leads`` service module.
@bp.get("/leads", endpoint="leads")
@roles_required()
def leads_page():
    """Pending leads of the actor's streets (or those decided, by the status tab)."""
    status = request.args.get("status", "new")
    status = status if status in STATUSES else "new"
    number = paging.page_number(request.args.get("page"))
    found = queue.list_leads(db.session, actor(), status=status, page=number, page_size=PAGE_SIZE)
    names = {u.id: u.display_name for u in areas_in_scope.advisors(db.session, actor())}
    return render_template(
        "console/leads.html", page=found, status=status, statuses=STATUSES, advisor_names=names
    )


def _confirm_form(lead, data=None) -> ConfirmLeadForm:
    form = ConfirmLeadForm(data) if data is not None else ConfirmLeadForm()
    communities = areas_in_scope.communities(db.session, actor())
    in_street = [(str(a.id), a.name) for a in communities if a.parent_id == lead.street_id]
    others = [(str(a.id), a.name) for a in communities if a.parent_id != lead.street_id]
    form.registration_community_id.choices = in_street + others
    form.residence_community_id.choices = [("", _("Same as registration"))] + in_street + others
    form.advisor_id.choices = [
        (str(u.id), u.display_name)
        for u in areas_in_scope.advisors(db.session, actor())
        if u.active
    ]
    form.categories.choices = choices("Category")[1:]
    # A blank first option: each of these is the supervisor's choice, never a default.
    form.hardship_level.choices = choices("HardshipLevel", "—")
    form.health.choices = choices("Health", "—")
    form.labour_capacity.choices = choices("LabourCapacity", "—")
    form.employment.choices = choices("Employment", "—")
    if data is None:
        form.advisor_id.data = str(lead.advisor_id)
        form.categories.data = [c for c in lead.suggested_categories]
    return form


def _lead_page(lead, confirm=None, decline=None, status: int = 200):
    return render_template(
        "console/lead.html",
        lead=lead,
        confirm=confirm or _confirm_form(lead),
        decline=decline or DeclineLeadForm(),
        household=lead.household_id,
    ), status


@bp.get("/leads/<uuid:lead_id>")
@roles_required()
def lead(lead_id: uuid.UUID):
    """One lead as reported, with the confirm and decline forms while it is pending."""
    return _lead_page(decisions.get_lead(db.session, actor(), lead_id))


def _int(value: str | None) -> int | None:
    return paging.whole_number(value)


@bp.post("/leads/<uuid:lead_id>/confirm")
@roles_required()
def confirm_lead(lead_id: uuid.UUID):
    """Enrol the household (assigned to the lead's advisor unless chosen otherwise)."""
    found = decisions.get_lead(db.session, actor(), lead_id)
    form = _confirm_form(found, request.form)
    if not form.validate_on_submit():
        return _lead_page(found, confirm=form, status=422)
    values = {
        **form.data,
        "registration_community_id": _int(form.registration_community_id.data),
        "residence_community_id": _int(form.residence_community_id.data),
        "advisor_id": _int(form.advisor_id.data),
    }
    try:
        with unit_of_work(db.session):
            household = decisions.confirm_lead(
                db.session,
                actor=actor(),
                lead_id=lead_id,
                form=values,
                now=context.now(),
                tz=context.tz(),
            )
            household_id = household.id
    except Invalid as error:
        show_errors(form, error.errors, "external_id")
        found = decisions.get_lead(db.session, actor(), lead_id)
        return _lead_page(found, confirm=form, status=422)
    except Conflict:
        flash(_("This lead has been decided already."), "warning")
        return redirect(url_for("console.lead", lead_id=lead_id))
    flash(_("The household is now monitored."), "success")
    return redirect(url_for("console.household", household_id=household_id))


@bp.post("/leads/<uuid:lead_id>/decline")
@roles_required()
def decline_lead(lead_id: uuid.UUID):
    """Decline with a reason (kept on the lead and in the audit trail)."""
    found = decisions.get_lead(db.session, actor(), lead_id)
    form = DeclineLeadForm()
    if not form.validate_on_submit():
        return _lead_page(found, decline=form, status=422)
    try:
        with unit_of_work(db.session):
            decisions.decline_lead(
                db.session,
                actor=actor(),
                lead_id=lead_id,
                reason=form.reason.data,
                now=context.now(),
            )
    except Invalid as error:
        show_errors(form, error.errors, "reason")
        return _lead_page(found, decline=form, status=422)
    except Conflict:
        flash(_("This lead has been decided already."), "warning")
        return redirect(url_for("console.lead", lead_id=lead_id))
    flash(_("The lead is declined."), "success")
    return redirect(url_for("console.leads"))
