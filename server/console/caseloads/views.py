"""Caseloads and handover: move households between advisors (preview, then confirm), and
how the old tablets are doing since each move."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.blueprint import bp
from server.console.caseloads.forms import ConfirmMoveForm, MoveForm, show_errors
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.caseload import handover
from server.services.core import areas_in_scope, paging
from server.services.core.errors import Conflict, Invalid
from server.services.core.transaction import unit_of_work

LISTED = 200  # households listed on the preview (the count is always the whole move)
SOURCE_FIELD = {
    "household": "household",
    "community": "community",
    "advisor": "advisor",
    "unassigned": "unassigned",
}


def _move_form(data=None) -> MoveForm:
    form = MoveForm(data)
    advisors = areas_in_scope.advisors(db.session, actor())
    communities = [(str(a.id), a.name) for a in areas_in_scope.communities(db.session, actor())]
    form.community.choices = [("", "—"), *communities]
    form.unassigned.choices = [(handover.ALL, _("In every community")), *communities]
    form.advisor.choices = [("", "—")] + [(str(u.id), u.display_name) for u in advisors]
    form.to_advisor.choices = [("", "—")] + [
        (str(u.id), u.display_name) for u in advisors if u.active
    ]
    return form


def _page(form: MoveForm, status: int = 200):
    sizes = handover.caseload_sizes(db.session, actor())
    unassigned = handover.unassigned_count(db.session, actor())
    return render_template(
        "console/caseloads.html", form=form, sizes=sizes, unassigned=unassigned
    ), status


@bp.get("/caseloads")
@roles_required()
def caseloads():
    """Each advisor's caseload, and the form choosing what to move where."""
    # A link (the roster report's) may choose what moves: ?kind=unassigned&unassigned=all.
    form = _move_form(request.args if request.args.get("kind") in SOURCE_FIELD else None)
    return _page(form)


def _request(kind: str, source: str, to_advisor: str) -> handover.MoveRequest:
    advisor_id = paging.whole_number(to_advisor)
    if kind not in handover.KINDS or advisor_id is None:
        abort(400)
    return handover.MoveRequest(kind=kind, source=source, to_advisor_id=advisor_id)


@bp.get("/caseloads/preview")
@roles_required()
def caseload_preview():
    """What the move will do: households, the old tablets, their unsent records."""
    form = _move_form(request.args)
    kind = form.kind.data or ""
    if kind not in SOURCE_FIELD:
        abort(400)
    source = form[SOURCE_FIELD[kind]]
    if not form.validate() or not source.data:
        if not source.data:
            source.errors = list(source.errors or []) + [_("Choose what to move.")]
        return _page(form, 422)
    move = _request(kind, source.data, form.to_advisor.data)
    try:
        plan = handover.preview(db.session, actor(), move)
    except Invalid as error:
        errors = {SOURCE_FIELD[kind] if k == "source" else k: v for k, v in error.errors.items()}
        show_errors(form, errors, "to_advisor")
        return _page(form, 422)
    confirm = ConfirmMoveForm(
        data={
            "kind": kind,
            "source": source.data,
            "to_advisor": str(move.to_advisor_id),
            "expected": str(len(plan.households)),
        }
    )
    return render_template(
        "console/caseload_preview.html", plan=plan, confirm=confirm, listed=LISTED
    )


@bp.post("/caseloads/move")
@roles_required()
def caseload_move():
    """Confirm: the whole move in one transaction, audited as one operation."""
    form = ConfirmMoveForm()
    if not form.validate_on_submit() or paging.whole_number(form.expected.data) is None:
        abort(400)
    move = _request(form.kind.data, form.source.data, form.to_advisor.data)
    try:
        with unit_of_work(db.session):
            plan = handover.move(
                db.session, actor(), move, expected=int(form.expected.data), now=context.now()
            )
    except (Conflict, Invalid):
        flash(_("The caseload changed since the preview; look at it again."), "warning")
        args = {
            "kind": move.kind,
            SOURCE_FIELD[move.kind]: move.source,
            "to_advisor": move.to_advisor_id,
        }
        return redirect(url_for("console.caseload_preview", **args))
    flash(
        _(
            "%(count)d households moved to %(name)s.",
            count=len(plan.households),
            name=plan.to_advisor.display_name,
        ),
        "success",
    )
    return redirect(url_for("console.handovers"))


@bp.get("/caseloads/handovers")
@roles_required()
def handovers():
    """The last 30 days' moves: which old tablets have pushed everything since."""
    moves = handover.recent_handovers(db.session, actor(), now=context.now())
    return render_template("console/handovers.html", moves=moves)
