"""Administration: accounts — the list, creating one, deactivating, resetting a password,
changing the name, role and area."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server import context
from server.console.admin.common import (
    any_label,
    area_choices,
    chosen_area,
    page_number,
    pages_of,
    put_errors,
    role_choices,
)
from server.console.admin.forms import (
    ActiveForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from server.console.blueprint import bp
from server.console.security import actor, roles_required
from server.extensions import db
from server.services.admin import accounts as accounts
from server.services.auth import users
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work

PAGE_SIZE = 50


def _filters() -> tuple[UserFilterForm, accounts.UserFilter]:
    form = UserFilterForm(request.args)
    form.role.choices = role_choices(any_label())
    form.area.choices = area_choices(actor(), any_label())
    form.active.choices = [("", any_label()), ("1", _("Active")), ("0", _("Deactivated"))]
    if not form.validate():
        abort(400)
    filters = accounts.UserFilter(
        role=form.role.data or None,
        area_id=int(form.area.data) if form.area.data else None,
        active={"1": True, "0": False}.get(form.active.data or ""),
    )
    return form, filters


@bp.get("/admin/users")
@roles_required("admin")
def admin_users():
    """Accounts, filtered by role, area (and the areas below it) and status."""
    form, filters = _filters()
    page = accounts.list_users(
        db.session, actor(), filters, page=page_number(), page_size=PAGE_SIZE
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "console/admin_users.html", form=form, page=page, pages=pages_of(page), args=args
    )


def _choose(form) -> None:
    form.role.choices = role_choices()
    form.area.choices = area_choices(actor(), _("No area"))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required("admin")
def admin_user_new():
    """Create an account; the initial password is typed here or generated and shown once."""
    form = UserCreateForm()
    _choose(form)
    status = 200
    if form.validate_on_submit():
        password = form.password.data or accounts.temporary_password()
        try:
            with unit_of_work(db.session):
                user = users.create_user(
                    db.session,
                    actor=actor(),
                    username=form.username.data.strip(),
                    password=password,
                    role=form.role.data,
                    area=chosen_area(actor(), form.area.data),
                    display_name=form.display_name.data.strip(),
                    now=context.now(),
                    password_method=current_app.config["PASSWORD_METHOD"],
                )
        except Invalid as refusal:
            put_errors(form, refusal)
            status = 422
        else:
            return _password_shown(user, password if not form.password.data else None)
    elif request.method == "POST":
        status = 422
    return render_template("console/admin_user_new.html", form=form), status


def _password_shown(user, password: str | None):
    """The page after a create or reset: a generated password appears here, once (it is
    in no cookie, log or audit event)."""
    return render_template("console/admin_password_shown.html", user=user, password=password)


def _forms(user, edit: UserEditForm | None = None, reset: PasswordResetForm | None = None):
    edit = edit or UserEditForm(
        formdata=None,
        display_name=user.display_name,
        role=user.role,
        area=str(user.area_id or ""),
    )
    _choose(edit)
    return {
        "user": user,
        "edit_form": edit,
        "reset_form": reset or PasswordResetForm(formdata=None),
        "active_form": ActiveForm(formdata=None),
        "is_self": user.id == actor().id,
    }


@bp.get("/admin/users/<id:user_id>")
@roles_required("admin")
def admin_user(user_id: int):
    """One account: its details, a password reset, deactivation."""
    user = accounts.get_user(db.session, actor(), user_id)
    return render_template("console/admin_user.html", **_forms(user))


@bp.post("/admin/users/<id:user_id>/details")
@roles_required("admin")
def admin_user_details(user_id: int):
    """Change the name, role and area (the role decides which kinds of area fit)."""
    user = accounts.get_user(db.session, actor(), user_id)
    form = UserEditForm()
    _choose(form)
    if form.validate_on_submit():
        try:
            with unit_of_work(db.session):
                accounts.update_user(
                    db.session,
                    actor=actor(),
                    user=user,
                    display_name=form.display_name.data,
                    role=form.role.data,
                    area=chosen_area(actor(), form.area.data),
                    now=context.now(),
                )
        except Invalid as refusal:
            put_errors(form, refusal)
        else:
            flash(_("The account was changed."), "success")
            return redirect(url_for("console.admin_user", user_id=user_id))
    db.session.refresh(user)  # the refused change is not what the page shows as current
    return render_template("console/admin_user.html", **_forms(user, edit=form)), 422


@bp.post("/admin/users/<id:user_id>/password")
@roles_required("admin")
def admin_user_password(user_id: int):
    """Set a temporary password (typed, or generated and shown once); the account's console
    sessions end."""
    user = accounts.get_user(db.session, actor(), user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        password = form.password.data or accounts.temporary_password()
        try:
            with unit_of_work(db.session):
                accounts.reset_password(
                    db.session,
                    actor=actor(),
                    user=user,
                    password=password,
                    now=context.now(),
                    method=current_app.config["PASSWORD_METHOD"],
                )
        except Invalid as refusal:
            put_errors(form, refusal)
        else:
            return _password_shown(user, password if not form.password.data else None)
    return render_template("console/admin_user.html", **_forms(user, reset=form)), 422


@bp.post("/admin/users/<id:user_id>/active")
@roles_required("admin")
def admin_user_active(user_id: int):
    """Deactivate (its tokens and sessions stop at once) or reactivate the account."""
    user = accounts.get_user(db.session, actor(), user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    try:
        with unit_of_work(db.session):
            accounts.set_active(
                db.session,
                actor=actor(),
                user=user,
                active=form.active.data == "1",
                now=context.now(),
            )
    except Invalid:
        flash(_("You cannot deactivate your own account."), "danger")
    else:
        flash(_("Reactivated.") if user.active else _("Deactivated."), "success")
    return redirect(url_for("console.admin_user", user_id=user_id))
