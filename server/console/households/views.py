"""The household file (一户一档): the page, its level and override forms, print view, PDF."""

from __future__ import annotations

import re
import uuid
from datetime import date

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from server import context
from server.console.blueprint import bp
from server.console.households.forms import (
    LevelForm,
    OverrideForm,
    RemoveOverrideForm,
    show_errors,
)
from server.console.households.pdf import household_pdf as render_pdf
from server.console.labels import lang
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.core.errors import Conflict, Invalid
from server.services.core.transaction import unit_of_work
from server.services.households import household_file, households
from server.services.households.edits import HOUSEHOLD_EDITABLE, HouseholdUpdateSchema

# The API's PATCH schema: the console validates a change exactly as the API does.
CHANGE_SCHEMA = HouseholdUpdateSchema(partial=HOUSEHOLD_EDITABLE)
# Where each error path of the schema or the service is shown.
LEVEL_FIELDS = {"hardship_level": "hardship_level", "version": "version"}
OVERRIDE_FIELDS = {
    "cycle_override.cycle": "cycle",
    "cycle_override.reason": "reason",
    "cycle_override.expires_on": "expires_on",
    "version": "version",
}


def _file(household_id: uuid.UUID):
    return household_file.household_file(
        db.session, actor(), household_id, today=context.today(), lang=lang()
    )


def _forms(file) -> dict:
    """Fresh forms showing the household as it is now."""
    h = file.household
    override = h.cycle_override or {}
    return {
        "level_form": LevelForm(
            formdata=None, hardship_level=h.hardship_level, version=file.version
        ),
        "override_form": OverrideForm(
            formdata=None,
            cycle=override.get("cycle", h.visit_cycle),
            reason=override.get("reason", ""),
            expires_on=_day(override.get("expires_on")),
            version=file.version,
        ),
        "remove_form": RemoveOverrideForm(formdata=None, version=file.version),
    }


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


def _page(household_id: uuid.UUID, status: int = 200, *, conflict: bool = False, **posted):
    """The file page; ``posted`` replaces a fresh form by the one just refused."""
    file = _file(household_id)
    forms = _forms(file) | posted
    if conflict:
        for form in posted.values():
            # Sent again, the form applies to what the page now shows.
            form.version.data = str(file.version)
    return render_template("console/household.html", file=file, **forms), status


@bp.get("/households/<uuid:household_id>")
@roles_required()
def household(household_id: uuid.UUID):
    """Members (ID numbers as the role may see them), level, cycle and why, both streets
    of a 人户分离 household, the timeline, and the forms to change level and override."""
    return _page(household_id)


def _apply(household_id: uuid.UUID, name: str, form, raw: dict, fields: dict, done: str):
    """Validate ``raw`` with the API's schema, let the service apply it against the form's
    version; on any refusal the page again, every message beside its field, nothing saved.

    (A missing or wrong CSRF token never gets here: ``security._protect`` answers 400.)
    """
    _file(household_id)  # 404 outside the scope before anything is said about the form
    form_ok = form.validate_on_submit()
    try:
        changes = CHANGE_SCHEMA.load(raw)
    except ValidationError as error:
        show_errors(form, error.messages, fields)
        return _page(household_id, 422, **{name: form})
    if not form_ok:
        return _page(household_id, 422, **{name: form})
    try:
        with unit_of_work(db.session):
            households.update_household(
                db.session,
                actor=actor(),
                household_id=household_id,
                changes=changes,
                now=context.now(),
                tz=context.tz(),
                base_version=form.base_version(),
            )
    except Conflict:
        message = _("Someone else changed this household meanwhile; check it and try again.")
        flash(message, "warning")
        return _page(household_id, 409, conflict=True, **{name: form})
    except Invalid as error:
        show_errors(form, error.errors, fields)
        return _page(household_id, 422, **{name: form})
    flash(done, "success")
    return redirect(url_for("console.household", household_id=household_id))


@bp.post("/households/<uuid:household_id>/level")
@roles_required()
def household_level(household_id: uuid.UUID):
    """Change the hardship level; the visit cycle follows the policy (audited)."""
    form = LevelForm()
    raw = {"hardship_level": form.hardship_level.data}
    done = _("Hardship level changed.")
    return _apply(household_id, "level_form", form, raw, LEVEL_FIELDS, done)


@bp.post("/households/<uuid:household_id>/override")
@roles_required()
def household_override(household_id: uuid.UUID):
    """Set a cycle override with its reason and expiry."""
    form = OverrideForm()
    raw = {"cycle_override": form.wire()}
    done = _("Cycle override saved.")
    return _apply(household_id, "override_form", form, raw, OVERRIDE_FIELDS, done)


@bp.post("/households/<uuid:household_id>/override/remove")
@roles_required()
def household_override_remove(household_id: uuid.UUID):
    """Remove the override: the policy's cycle applies again."""
    form = RemoveOverrideForm()
    done = _("Cycle override removed.")
    return _apply(
        household_id, "remove_form", form, {"cycle_override": None}, {"version": "version"}, done
    )


@bp.get("/households/<uuid:household_id>/print")
@roles_required()
def household_print(household_id: uuid.UUID):
    """The file on paper: no navigation, a print stylesheet (the PDF is the same page)."""
    return render_template(
        "console/household_print.html",
        file=_file(household_id),
        pdf=False,
        printed_at=context.now(),
    )


@bp.get("/households/<uuid:household_id>.pdf")
@roles_required()
def household_pdf(household_id: uuid.UUID):
    """The print view as a PDF (WeasyPrint); the download is recorded in the audit trail."""
    file = _file(household_id)
    html = render_template(
        "console/household_print.html", file=file, pdf=True, printed_at=context.now()
    )
    pdf = render_pdf(html)
    with unit_of_work(db.session):
        household_file.record_export(
            db.session, actor(), household_id, fmt="pdf", now=context.now()
        )
    # The household number as the platform wrote it may hold anything: keep a safe name.
    name = "household-" + re.sub(r"[^A-Za-z0-9_-]", "_", file.household.external_id) + ".pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
