"""Roster import: upload, dry-run report on the page and to download, then import the
very file that was checked (kept server-side: roster_uploads)."""

from __future__ import annotations

from dataclasses import asdict

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from server import context
from server.console.blueprint import bp
from server.console.labels import lang
from server.console.roster import uploads
from server.console.roster.forms import RosterImportForm, RosterUploadForm
from server.console.security import UPLOAD_LIMITS, actor, roles_required
from server.extensions import db
from server.services import roster as roster_service
from server.services.caseload import handover
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work
from server.services.roster import report
from server.services.roster.columns import COLUMNS, header_label
from server.services.roster.numbering import AlreadyImported
from server.services.roster.plan import RowResult
from server.services.roster.write import PlanChanged, RosterRefused

DEFAULT_MAX_UPLOAD = 32 * 1024 * 1024  # a 100,000-row roster is about 13 MB as CSV
SHOWN = 200  # rows listed on the page; the download has them all
ACTIONS = {
    "create": _l("Create"),
    "update": _l("Update"),
    "unchanged": _l("Unchanged"),
    "refused": _l("Refused"),
}
TYPES = {"csv": "text/csv", "xlsx": report.XLSX_TYPE}  # Flask adds "; charset=utf-8" to text


def max_upload() -> int:
    return int(current_app.config.get("ROSTER_MAX_UPLOAD", DEFAULT_MAX_UPLOAD))


# A roster is larger than any other request: its own limit, for this endpoint only.
UPLOAD_LIMITS["console.roster_check"] = max_upload


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """A file over the limit: back to the upload page, which says the limit beside the
    field (this request's body is unreadable, and every page's forms would read it)."""
    return redirect(url_for("console.roster", too_large=1), 303)


def _page(form: RosterUploadForm, status: int = 200):
    return (
        render_template(
            "console/roster.html", form=form, columns=COLUMNS, max_mb=max_upload() // 2**20
        ),
        status,
    )


@bp.get("/roster")
@roles_required()
def roster():
    """The upload form, the template files and the columns they hold."""
    form = RosterUploadForm()
    if request.args.get("too_large"):
        form.file.errors = [_("The file is larger than %(mb)d MB.", mb=max_upload() // 2**20)]
    return _page(form)


@bp.post("/roster")
@roles_required()
def roster_check():
    """Keep the uploaded file and dry-run it; the report is the next page."""
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    data = form.file.data.read()
    upload = uploads.save(actor().id, form.file.data.filename or "", data)
    _end_transaction()
    try:
        table = roster_service.read_table(data, upload.filename)
    except Invalid as error:
        form.file.errors = [m for messages in error.errors.values() for m in messages]
        return _page(form, 400)
    plan = roster_service.check(
        db.session, actor=actor(), table=table, now=context.now(), tz=context.tz()
    )
    db.session.rollback()  # the dry run read only; end its transaction
    _remember(upload, plan)
    return redirect(url_for("console.roster_report", upload_id=upload.id))


def _end_transaction() -> None:
    """End the request's read-only transaction (the signed-in user's lookup) before a
    file is parsed: a long parse must hold no database lock or connection (on SQLite a
    held transaction blocks every writer)."""
    db.session.rollback()


def _remember(upload: uploads.Upload, plan: roster_service.Plan) -> None:
    upload.counts, upload.encoding = plan.counts, plan.encoding
    upload.fingerprint = plan.fingerprint
    upload.notes = plan.notes
    uploads.write_meta(upload)
    uploads.save_results(upload, [asdict(r) for r in plan.results])


def _upload(upload_id: str) -> uploads.Upload:
    # Another user's (or an expired) upload is 404 like anything outside one's scope.
    upload = uploads.load(upload_id, actor().id)
    if upload is None:
        abort(404)
    return upload


def _results(upload: uploads.Upload) -> list[RowResult]:
    return [
        RowResult(**{**r, "errors": [tuple(e) for e in r["errors"]]})
        for r in uploads.results_of(upload)
    ]


@bp.get("/roster/<upload_id>")
@roles_required()
def roster_report(upload_id: str):
    """The dry run's counts, refused rows first, then the rows that change."""
    upload = _upload(upload_id)
    results = _results(upload)
    refused = [r for r in results if r.action == "refused"]
    changing = [r for r in results if r.action in ("create", "update") or r.kept]
    return render_template(
        "console/roster_report.html",
        upload=upload,
        refused=refused[:SHOWN],
        changing=changing[: max(0, SHOWN - len(refused))],
        shown=SHOWN,
        actions=ACTIONS,
        column=lambda key: header_label(key, lang()),
        form=RosterImportForm(),
        # After the import: the households still without an advisor, to assign next.
        unassigned=handover.unassigned_count(db.session, actor())
        if upload.imported is not None
        else 0,
    )


@bp.get("/roster/<upload_id>/report.<any(csv, xlsx):fmt>")
@roles_required()
def roster_report_file(upload_id: str, fmt: str):
    """The whole report, every row, as CSV (UTF-8 with BOM) or XLSX."""
    upload = _upload(upload_id)
    body = report.write_report(_results(upload), fmt)
    name = f"roster-report-{upload.sha256[:8]}.{fmt}"
    return Response(
        body,
        mimetype=TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/roster/<upload_id>/import")
@roles_required()
def roster_import(upload_id: str):
    """Import the file the dry run checked: refused while it has refused rows."""
    upload = _upload(upload_id)
    form = RosterImportForm()
    if not form.validate_on_submit():
        abort(400)
    back = redirect(url_for("console.roster_report", upload_id=upload.id))
    if upload.imported is not None:
        flash(_("This file has been imported already."), "info")
        return back
    if upload.refused:
        flash(_("Fix the refused rows and upload the file again: nothing was imported."), "danger")
        return back
    data = uploads.data_of(upload)
    if data is None:
        abort(404)
    _end_transaction()
    table = roster_service.read_table(data, upload.filename)
    try:
        with unit_of_work(db.session):
            outcome = roster_service.import_roster(
                db.session,
                actor=actor(),
                table=table,
                now=context.now(),
                tz=context.tz(),
                digest=upload.sha256,
                expect=form.fingerprint.data,
                upload_id=upload.id,
            )
    except PlanChanged as changed:
        # The page showed another plan than the database gives now: show the new one.
        _remember(upload, changed.plan)
        flash(_("The data changed since the dry run: nothing was imported."), "danger")
        return back
    except AlreadyImported:
        flash(_("This file has been imported already."), "info")
        return back
    except RosterRefused as refused:
        # The database changed since the dry run (another import, an edit): a new report.
        _remember(upload, refused.plan)
        flash(_("Some rows are now refused: nothing was imported."), "danger")
        return back
    except IntegrityError:
        # Another import of the same rows (a second click) committed first; this one wrote
        # nothing (unit_of_work rolled it back). Its report tells what the database holds now.
        flash(_("Another import of these rows finished first: nothing more was imported."), "info")
        return back
    upload.imported = outcome.plan.counts
    _remember(upload, outcome.plan)
    uploads.forget_data(upload)
    if outcome.written:
        flash(_("Imported: %(create)d new, %(update)d updated.", **outcome.plan.counts), "success")
    else:
        flash(_("Nothing to change: the database already holds this file."), "info")
    return back
