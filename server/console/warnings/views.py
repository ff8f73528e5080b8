"""预警处置: filter the warnings of one's streets, take one into verification, dispose, close."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.admin.common import pages_of
from server.console.blueprint import bp
from server.console.labels import label
from server.console.security import actor, roles_required
from server.console.warnings.forms import DisposeForm, WarningFilterForm, show_errors
from server.extensions import db
from server.services.core import paging
from server.services.core.errors import Conflict, Invalid
from server.services.core.transaction import unit_of_work
from server.services.warnings import lifecycle, queue, rules

PAGE_SIZE = 50


@bp.get("/warnings")
@roles_required()
def warnings():
    """The warnings sent to the actor's streets, most urgent first; an unknown filter value
    is shown beside its field (422)."""
    form = WarningFilterForm(request.args).fill()
    status = 200
    if not form.validate():
        status, found = 422, None
    else:
        query = queue.WarningQuery(
            level=form.level.data or "",
            kind=form.kind.data or "",
            status=form.status.data or "",
            overdue=bool(form.overdue.data),
        )
        found = queue.list_warnings(
            db.session,
            actor(),
            query,
            now=context.now(),
            page=paging.page_number(request.args.get("page")),
            page_size=PAGE_SIZE,
        )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "console/warnings.html",
        form=form,
        page=found,
        pages=pages_of(found) if found else None,
        args=args,
        now=context.now(),
    ), status


def _dispose_form(warning, data=None) -> DisposeForm:
    form = DisposeForm(data) if data is not None else DisposeForm()
    form.disposal.choices = [("", "—")] + [
        (code, label("Disposal", code)) for code in rules.disposals(warning.kind)
    ]
    return form


def _page(warning, dispose=None, status: int = 200):
    return render_template(
        "console/warning.html",
        warning=warning,
        **lifecycle.details(db.session, warning),
        dispose=dispose or _dispose_form(warning),
        now=context.now(),
    ), status


@bp.get("/warnings/<uuid:warning_id>")
@roles_required()
def warning(warning_id: uuid.UUID):
    """One warning: what raised it, where it went, and the next step."""
    return _page(lifecycle.get_warning(db.session, actor(), warning_id))


def _step(warning_id: uuid.UUID, step: str, done: str, **extra):
    try:
        with unit_of_work(db.session):
            getattr(lifecycle, step)(
                db.session, actor=actor(), warning_id=warning_id, now=context.now(), **extra
            )
    except Conflict:
        flash(_("The warning has moved on; here it is as it stands."), "warning")
    else:
        flash(done, "success")
    return redirect(url_for("console.warning", warning_id=warning_id))


@bp.post("/warnings/<uuid:warning_id>/take")
@roles_required()
def take_warning(warning_id: uuid.UUID):
    """Take an open warning into verification (核实)."""
    lifecycle.get_warning(db.session, actor(), warning_id)  # 404 beyond the actor's streets
    return _step(warning_id, "take", _("Taken into verification."))


@bp.post("/warnings/<uuid:warning_id>/close")
@roles_required()
def close_warning(warning_id: uuid.UUID):
    """Close a disposed warning (办结)."""
    lifecycle.get_warning(db.session, actor(), warning_id)
    return _step(warning_id, "close", _("The warning is closed."))


@bp.post("/warnings/<uuid:warning_id>/dispose")
@roles_required()
def dispose_warning(warning_id: uuid.UUID):
    """Record the disposal; what it lacks is shown beside its field."""
    found = lifecycle.get_warning(db.session, actor(), warning_id)
    form = _dispose_form(found, request.form)
    if not form.validate_on_submit():
        return _page(found, dispose=form, status=422)
    try:
        with unit_of_work(db.session):
            lifecycle.dispose(
                db.session,
                actor=actor(),
                warning_id=warning_id,
                disposal=form.disposal.data,
                referred_to=form.referred_to.data or "",
                reason=form.disposal_reason.data or "",
                now=context.now(),
            )
    except Invalid as error:
        show_errors(form, error.errors, "disposal")
        found = lifecycle.get_warning(db.session, actor(), warning_id)
        return _page(found, dispose=form, status=422)
    except Conflict:
        flash(_("The warning has moved on; here it is as it stands."), "warning")
        return redirect(url_for("console.warning", warning_id=warning_id))
    flash(_("The disposal is recorded."), "success")
    return redirect(url_for("console.warning", warning_id=warning_id))
