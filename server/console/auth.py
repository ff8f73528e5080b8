"""Console sign-in, sign-out, change of password and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from server import context
from server.console.blueprint import bp
from server.console.forms import NEXT_MAX, ActionForm, LanguageForm, PasswordForm, SignInForm
from server.console.security import LANGUAGES, SignedIn, actor, roles_required
from server.extensions import db
from server.services.auth import console_auth, sessions, tokens
from server.services.core.errors import Forbidden, Invalid, Throttled
from server.services.core.transaction import unit_of_work


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The sign-in page; throttled like the API's sign-in (the same failure records)."""
    form = SignInForm()
    if request.method == "GET":
        form.next.data = console_path(request.args.get("next")) or ""
    status = 200
    if form.validate_on_submit():
        try:
            signed_in = _sign_in(form.username.data, form.password.data)
        except Throttled as refusal:
            form.form_errors.append(
                _("Too many failed sign-ins; try again in %(n)s s.", n=refusal.retry_after)
            )
            status = 429
        except tokens.SignInRefused:
            form.form_errors.append(_("Wrong username or password."))
            status = 401
        except Forbidden:
            form.form_errors.append(_("The console is for supervisors and admins."))
            status = 403
        else:
            session.clear()  # nothing from before the sign-in survives it (fixation)
            session.permanent = True
            login_user(SignedIn(signed_in.user, signed_in.key))
            return redirect(console_path(form.next.data) or url_for("console.dashboard"))
    elif request.method == "POST":
        status = 400
    return render_template("console/sign_in.html", form=form), status


def _sign_in(username: str, password: str) -> console_auth.ConsoleSignIn:
    remote_addr, now = request.remote_addr or "-", context.now()
    with unit_of_work(db.session):
        candidate = tokens.sign_in_candidate(
            db.session,
            username=username,
            remote_addr=remote_addr,
            now=now,
            policy=context.login_policy(),
        )
    valid = tokens.password_matches(candidate, password)  # slow: outside any transaction
    with unit_of_work(db.session):
        return console_auth.finish_console_sign_in(
            db.session, candidate=candidate, valid=valid, remote_addr=remote_addr, now=now
        )


@bp.post("/sign-out")
@roles_required()
def sign_out():
    """End the session for good, on the server too (a POST with the CSRF token: a link
    could sign anyone out)."""
    with unit_of_work(db.session):
        sessions.end(db.session, current_user.key)
    logout_user()
    session.clear()
    return redirect(url_for("console.sign_in"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required()
def password():
    """Change one's own password; other sessions of the account end with it."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = actor()
        try:
            key = _change_password(user, form)
        except Throttled as refusal:
            form.current_password.errors = [
                _("Too many failed sign-ins; try again in %(n)s s.", n=refusal.retry_after)
            ]
            status = 429
        except Invalid:
            form.current_password.errors = [_("Wrong password.")]
            status = 422
        else:
            login_user(SignedIn(user, key))  # this browser goes on in a new session
            flash(_("Your password was changed."), "success")
            return redirect(url_for("console.dashboard"))
    elif request.method == "POST":
        status = 422
    return render_template("console/password.html", form=form), status


def _change_password(user, form) -> str:
    """Check the current password behind the sign-in throttle (a wrong one counts as a
    failed sign-in), change it and start this browser's new session; the session's key."""
    remote_addr, now = request.remote_addr or "-", context.now()
    with unit_of_work(db.session):
        candidate = tokens.sign_in_candidate(
            db.session,
            username=user.username,
            remote_addr=remote_addr,
            now=now,
            policy=context.login_policy(),
        )
    current_ok = tokens.password_matches(candidate, form.current_password.data)
    with unit_of_work(db.session):
        console_auth.change_password(
            db.session,
            actor=user,
            current_ok=current_ok,
            new_password=form.new_password.data,
            remote_addr=remote_addr,
            now=now,
            method=current_app.config["PASSWORD_METHOD"],
        )
        return sessions.start(db.session, user=user, now=now)


@bp.post("/language")
def language():
    """Switch the console's language for this session."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    return redirect(console_path(form.next.data) or url_for("console.dashboard"))


def console_path(target: str | None) -> str | None:
    """``target`` as a path (and query) under /console/, or None: never an open redirect.

    Flask-Login sends the whole URL of the page asked for; it counts only on this host.
    None, too, above the sign-in form's cap on ``next`` (:data:`NEXT_MAX`): the form
    would refuse its own hidden field, and every sign-in from the page with it.
    """
    if not target or len(target) > NEXT_MAX or any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc) and (
        parts.scheme not in ("http", "https") or parts.netloc != request.host
    ):
        return None
    if not parts.path.startswith("/console/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.app_context_processor
def _forms():
    return {"action_form": ActionForm, "language_form": LanguageForm}
