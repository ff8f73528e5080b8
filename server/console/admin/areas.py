"""Administration: the area tree (district → street → community); creating and renaming
areas. Areas are never deleted here: households, accounts and records refer to them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.admin.common import area_choices, chosen_area, put_errors
from server.console.admin.forms import AreaCreateForm, AreaRenameForm
from server.console.blueprint import bp
from server.console.labels import choices
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.admin import areas
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work

CHILD_KIND = {"district": "street", "street": "community"}


def _create_form(**prefill) -> AreaCreateForm:
    form = AreaCreateForm(formdata=None, **prefill) if prefill else AreaCreateForm()
    form.kind.choices = choices("AreaKind")[1:]
    form.parent.choices = area_choices(actor(), _("None (a district)"))
    return form


def _tree_page(form: AreaCreateForm, status: int = 200):
    nodes = areas.tree(db.session, actor())
    return render_template("console/admin_areas.html", nodes=nodes, form=form), status


@bp.get("/admin/areas")
@roles_required("admin")
def admin_areas():
    """The tree with how many accounts and households each area holds, and a create form."""
    parent = chosen_area(actor(), request.args.get("parent"))
    if parent is None:
        return _tree_page(_create_form(kind="district"))
    # "Add below" on a row: the form comes filled in with that parent and the kind under it.
    kind = CHILD_KIND.get(parent.kind, "community")
    return _tree_page(_create_form(kind=kind, parent=str(parent.id)))


@bp.post("/admin/areas")
@roles_required("admin")
def admin_area_create():
    """A new area; its kind must fit its parent (a street under a district, ...)."""
    form = _create_form()
    if not form.validate_on_submit():
        return _tree_page(form, 422)
    try:
        with unit_of_work(db.session):
            area = areas.create_area(
                db.session,
                actor=actor(),
                code=form.code.data.strip(),
                name=form.name.data,
                kind=form.kind.data,
                parent=chosen_area(actor(), form.parent.data),
                now=context.now(),
            )
    except Invalid as refusal:
        put_errors(form, refusal)
        return _tree_page(form, 422)
    flash(_("Area %(name)s was created.", name=area.name), "success")
    return redirect(url_for("console.admin_areas"))


@bp.route("/admin/areas/<id:area_id>", methods=["GET", "POST"])
@roles_required("admin")
def admin_area(area_id: int):
    """Rename an area (name and code); its kind and parent stay."""
    area = areas.get_area(db.session, actor(), area_id)
    form = AreaRenameForm(obj=area) if request.method == "GET" else AreaRenameForm()
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work(db.session):
                areas.rename_area(
                    db.session,
                    actor=actor(),
                    area=area,
                    code=form.code.data.strip(),
                    name=form.name.data,
                    now=context.now(),
                )
        except Invalid as refusal:
            put_errors(form, refusal)
            status = 422
            db.session.refresh(area)
        else:
            flash(_("The area was changed."), "success")
            return redirect(url_for("console.admin_areas"))
    elif request.method == "POST":
        status = 422
    return render_template("console/admin_area.html", area=area, form=form), status
