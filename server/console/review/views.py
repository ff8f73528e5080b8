"""The review queue: filter, open a record beside the previous visit, approve or return."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.admin.common import pages_of
from server.console.blueprint import bp
from server.console.forms import ActionForm, ReturnForm, ReviewFilterForm
from server.console.labels import choices
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.core import areas_in_scope, paging
from server.services.core.errors import Conflict
from server.services.core.transaction import unit_of_work
from server.services.review import bulk, workflow
from server.services.review import queue as review

PAGE_SIZE = 50


def _filter_form() -> ReviewFilterForm:
    form = ReviewFilterForm(request.args)
    any_ = _("Any")
    form.community.choices = [("", any_)] + [
        (str(a.id), a.name) for a in areas_in_scope.communities(db.session, actor())
    ]
    form.advisor.choices = [("", any_)] + [
        (str(u.id), u.display_name) for u in areas_in_scope.advisors(db.session, actor())
    ]
    form.finding.choices = choices("Finding", any_)
    form.situation.choices = choices("Situation", any_)
    return form


def _int(value: str | None) -> int | None:
    return paging.whole_number(value)


@bp.get("/review")
@roles_required()
def review_queue():
    """Submitted and resubmitted records in scope, urgent first."""
    form = _filter_form()
    if not form.validate():
        abort(400)
    filters = review.ReviewFilter(
        community_id=_int(form.community.data),
        advisor_id=_int(form.advisor.data),
        finding=form.finding.data or None,
        situation=form.situation.data or None,
        urgent=bool(form.urgent.data),
    )
    page = max(1, _int(request.args.get("page")) or 1)
    queue = review.review_queue(db.session, actor(), filters, page, PAGE_SIZE)
    # Only plain records get a checkbox; bulk_review refuses the others anyway.
    plain = {i.record.id for i in queue.items if not bulk.reasons(i.entity, i.record)}
    advisors = areas_in_scope.display_names(db.session, (i.record.advisor_id for i in queue.items))
    return render_template(
        "console/review_queue.html",
        form=form,
        queue=queue,
        plain=plain,
        bulk_form=ActionForm(),
        advisors=advisors,
        pages=pages_of(queue),
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/review/<any(visit, interview):entity>/<uuid:record_id>")
@roles_required()
def review_record(entity: str, record_id: uuid.UUID):
    """One record beside the household's previous visit, with approve and return."""
    return _record_page(entity, record_id, ReturnForm(formdata=None))


def _record_page(entity: str, record_id: uuid.UUID, return_form: ReturnForm, status: int = 200):
    detail = review.review_detail(db.session, actor(), entity, record_id)
    page = render_template(
        "console/review_record.html",
        detail=detail,
        approve_form=ActionForm(),
        return_form=return_form,
        reviewable=detail.record.status in workflow.REVIEWABLE,
    )
    return page, status


@bp.post("/review/<any(visit, interview):entity>/<uuid:record_id>/approve")
@roles_required()
def approve(entity: str, record_id: uuid.UUID):
    """Approve the record (locked from then on)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    return _decide(
        entity,
        record_id,
        lambda: workflow.approve_record(
            db.session, actor=actor(), entity=entity, record_id=record_id, now=context.now()
        ),
        _("Approved."),
    )


@bp.post("/review/<any(visit, interview):entity>/<uuid:record_id>/return")
@roles_required()
def return_record(entity: str, record_id: uuid.UUID):
    """Return the record to its advisor with a comment (it reaches the tablet)."""
    form = ReturnForm()
    if not form.validate_on_submit():
        # The page again, the comment kept and the reason beside it (a NUL, say: refused
        # here on both databases alike).
        flash(_("Say why the record goes back."), "danger")
        return _record_page(entity, record_id, form, 422)
    return _decide(
        entity,
        record_id,
        lambda: workflow.return_record(
            db.session,
            actor=actor(),
            entity=entity,
            record_id=record_id,
            comment=form.comment.data,
            now=context.now(),
        ),
        _("Returned to the advisor."),
    )


def _decide(entity: str, record_id: uuid.UUID, decision, done: str):
    try:
        with unit_of_work(db.session):
            decision()
    except Conflict:
        flash(_("This record has already been reviewed."), "warning")
        return redirect(url_for("console.review_record", entity=entity, record_id=record_id))
    flash(done, "success")
    return redirect(url_for("console.review_queue"))
