"""Administration: every tablet's token with its user and last sync report; revoking one as
retired or lost, with its wipe once reported; the offline lease's length (issue 19)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import context
from server.console.admin.common import message, page_number, pages_of
from server.console.admin.forms import DeviceFilterForm, LeaseForm
from server.console.blueprint import bp
from server.console.forms import ActionForm
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.admin import devices, lease
from server.services.core.errors import Conflict, Invalid
from server.services.core.transaction import unit_of_work

PAGE_SIZE = 50
STATE_LABELS = {
    "live": _l("In use, or holding unsent records"),
    "revoked": _l("Revoked"),
    "all": _l("All"),
}
TOKEN_STATES = {"live": _l("In use"), "expired": _l("Expired"), "revoked": _l("Revoked")}
REVOKED_FLASH = {
    "retire": _l("The tablet was retired: it sends what it holds, then wipes itself."),
    "lost": _l("The tablet was reported lost: its token is dead; it wipes itself on contact."),
}
PROBLEMS = {
    "pending_old": _l("unsent over 24 h"),
    "silent": _l("silent over 3 days"),
    "inactive_pending": _l("deactivated advisor holds unsent records"),
}


@bp.get("/admin/devices")
@roles_required("admin")
def admin_devices(lease_form: LeaseForm | None = None):
    """Tablets: user, last seen, pending records and the oldest unsent, app version."""
    form = DeviceFilterForm(request.args)
    form.state.choices = list(STATE_LABELS.items())
    if not form.validate():
        abort(400)
    page = devices.list_devices(
        db.session,
        actor(),
        state=form.state.data or "live",
        now=context.now(),
        page=page_number(),
        page_size=PAGE_SIZE,
    )
    return render_template(
        "console/admin_devices.html",
        form=form,
        page=page,
        pages=pages_of(page),
        args={k: v for k, v in request.args.items() if k != "page"},
        now=context.now(),
        token_states=TOKEN_STATES,
        problems=PROBLEMS,
        revoke_form=ActionForm(),
        lease_form=lease_form or LeaseForm(lease_hours=lease.lease_hours(db.session)),
    )


@bp.post("/admin/devices/lease")
@roles_required("admin")
def admin_device_lease():
    """Save the offline lease's length; tablets get it at their next sync."""
    form = LeaseForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(db.session):
                hours = lease.set_lease_hours(
                    db.session, actor=actor(), hours=form.lease_hours.data, now=context.now()
                )
        except Invalid as refusal:
            form.lease_hours.errors = [message(t) for t in refusal.errors.get("lease_hours", ())]
        else:
            flash(_("The offline lease is now %(n)s hours.", n=hours), "success")
            return redirect(url_for("console.admin_devices"))
    return admin_devices(lease_form=form), 422


@bp.post("/admin/devices/<id:device_pk>/revoke")
@roles_required("admin")
def admin_device_revoke(device_pk: int):
    """Revoke the tablet's token as the admin chose: retired or lost (issue 19)."""
    kind = request.form.get("kind", "")
    if not ActionForm().validate_on_submit() or kind not in REVOKED_FLASH:
        abort(400)
    try:
        with unit_of_work(db.session):
            devices.revoke_device(
                db.session, actor=actor(), device_pk=device_pk, kind=kind, now=context.now()
            )
    except Conflict:
        flash(_("This token was revoked already."), "warning")
    else:
        flash(str(REVOKED_FLASH[kind]), "success")
    return redirect(url_for("console.admin_devices", **request.args))
