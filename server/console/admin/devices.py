"""Administration: every tablet's token with its user and last sync report; revoking a
lost tablet (its token answers 401 from the next request on)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import context
from server.console.admin.common import page_number, pages_of
from server.console.admin.forms import DeviceFilterForm
from server.console.blueprint import bp
from server.console.forms import ActionForm
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.admin import devices
from server.services.core.errors import Conflict
from server.services.core.transaction import unit_of_work

PAGE_SIZE = 50
STATE_LABELS = {
    "live": _l("In use, or holding unsent records"),
    "revoked": _l("Revoked"),
    "all": _l("All"),
}
TOKEN_STATES = {"live": _l("In use"), "expired": _l("Expired"), "revoked": _l("Revoked")}
PROBLEMS = {
    "pending_old": _l("unsent over 24 h"),
    "silent": _l("silent over 3 days"),
    "inactive_pending": _l("deactivated advisor holds unsent records"),
}


@bp.get("/admin/devices")
@roles_required("admin")
def admin_devices():
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
    )


@bp.post("/admin/devices/<id:device_pk>/revoke")
@roles_required("admin")
def admin_device_revoke(device_pk: int):
    """Revoke the tablet's token (a lost tablet); the advisor signs in again on a new one."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work(db.session):
            devices.revoke_device(db.session, actor=actor(), device_pk=device_pk, now=context.now())
    except Conflict:
        flash(_("This token was revoked already."), "warning")
    else:
        flash(_("The tablet's token was revoked: it can no longer sync."), "success")
    return redirect(url_for("console.admin_devices", **request.args))
