"""Bulk approval from the review queue: the checked plain records, all or nothing."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.blueprint import bp
from server.console.forms import ActionForm
from server.console.labels import label, lang, local
from server.console.security import actor, roles_required
from server.extensions import db
from server.models import Visit
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work
from server.services.review import bulk as bulk_review


def _why(reason: str, record) -> str:
    if reason == bulk_review.URGENT:
        return _("urgent")
    if reason == bulk_review.FINDINGS:
        return _("has findings")
    return _("situation: %(situation)s", situation=label("Situation", record.situation))


def _describe(refused: bulk_review.Refused) -> str:
    """One refused record in words; an unknown or unseen one only by what was sent."""
    if refused.record is None:
        # Unknown, outside the area or reviewed already read alike (the service tells them
        # apart for no one): no id to show, only what happened.
        return _("A selected record is no longer waiting for review in your area.")
    is_visit = isinstance(refused.record, Visit)
    when = refused.record.visited_at if is_visit else refused.record.interviewed_at
    sep = "、" if lang() == "zh" else ", "
    return _(
        "%(kind)s of %(household)s on %(date)s: %(why)s",
        kind=_("Visit") if is_visit else _("Interview"),
        household=refused.household.head_name,
        date=local(when, "%Y-%m-%d"),
        why=sep.join(_why(r, refused.record) for r in refused.reasons),
    )


@bp.post("/review/approve-selected")
@roles_required()
def bulk_approve():
    """Approve the checked records of the queue, or none if any may not be."""
    if not ActionForm().validate_on_submit():
        abort(400)
    keys = request.form.getlist("record")
    try:
        with unit_of_work(db.session):
            approved = bulk_review.bulk_approve(
                db.session, actor=actor(), keys=keys, now=context.now()
            )
    except bulk_review.BulkRefused as refusal:
        flash(_("None was approved: these records cannot be approved in bulk."), "danger")
        for refused in refusal.refused:
            flash(_describe(refused), "danger")
    except Invalid:  # nothing selected, or more than one approval may take
        flash(_("Select between 1 and %(n)d records.", n=bulk_review.MAX_SELECTION), "warning")
    else:
        flash(_("Approved %(n)d records.", n=len(approved)), "success")
    return redirect(_back())


def _back() -> str:
    """The queue with the filters it was posted from (never a page outside it)."""
    queue = url_for("console.review_queue")
    back = request.form.get("next", "")
    return back if back == queue or back.startswith(queue + "?") else queue
