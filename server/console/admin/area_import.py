"""Administration: the area tree imported from the 统计用区划代码 file (dry run, then import)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from server import context
from server.console.blueprint import bp
from server.console.roster import uploads
from server.console.roster.forms import RosterImportForm
from server.console.roster.views import max_upload
from server.console.security import UPLOAD_LIMITS, actor, roles_required
from server.extensions import db
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work
from server.services.roster import area_tree

UPLOAD_LIMITS["console.admin_area_import_check"] = max_upload
SHOWN = 300


class AreaFileForm(FlaskForm):
    file = FileField(
        _l("Division codes file (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only .csv or .xlsx files.")),
        ],
    )


def _page(form: AreaFileForm, plan=None, upload=None, status: int = 200):
    page = render_template(
        "console/admin_area_import.html",
        form=form,
        plan=plan,
        upload=upload,
        actions=area_tree.ACTIONS,
        shown=SHOWN,
        confirm=RosterImportForm(),
    )
    return page, status


@bp.get("/admin/areas/import")
@roles_required("admin")
def admin_area_import():
    """The upload form for the division codes file."""
    return _page(AreaFileForm())


def _read(data: bytes, filename: str):
    db.session.rollback()  # parse outside any transaction (no lock held meanwhile)
    return area_tree.read_areas(data, filename)


@bp.post("/admin/areas/import")
@roles_required("admin")
def admin_area_import_check():
    """Keep the file and show its dry run, with the import button when nothing is refused."""
    form = AreaFileForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    data = form.file.data.read()
    upload = uploads.save(actor().id, form.file.data.filename or "", data)
    try:
        rows = _read(data, upload.filename)
    except Invalid as error:
        form.file.errors = [m for messages in error.errors.values() for m in messages]
        return _page(form, status=400)
    plan = area_tree.check_areas(db.session, actor(), rows)
    db.session.rollback()
    return _page(form, plan, upload)


@bp.post("/admin/areas/import/<upload_id>")
@roles_required("admin")
def admin_area_import_apply(upload_id: str):
    """Import the file the dry run checked (re-read and re-checked: all or nothing)."""
    upload = uploads.load(upload_id, actor().id)
    data = uploads.data_of(upload) if upload is not None else None
    if data is None or not RosterImportForm().validate_on_submit():
        abort(404 if data is None else 400)
    rows = _read(data, upload.filename)
    with unit_of_work(db.session):
        plan = area_tree.import_areas(db.session, actor(), rows, context.now())
    if plan.refused:
        flash(_("Some rows are now refused: nothing was imported."), "danger")
        return _page(AreaFileForm(), plan, upload, 409)
    uploads.forget_data(upload)
    counts = plan.counts
    flash(_("Areas imported: %(create)d new, %(update)d renamed.", **counts), "success")
    return redirect(url_for("console.admin_areas"))
