"""Who is signed in to the console, what they may open, its language and its headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, abort, request, session
from flask_login import current_user, login_required

from server import context
from server.console.extensions import csrf, login_manager
from server.extensions import db
from server.models import User
from server.services.auth import console_auth, sessions

LANGUAGES = ("zh", "en")
# No inline script or style anywhere (charts are images); nothing may frame the console.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class SignedIn:
    """What Flask-Login holds for a signed-in user: the User and the key of its server-side
    session (:mod:`server.services.auth.sessions`; ending that session signs it out)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User, key: str):
        self.user = user
        self.role = user.role
        self.key = key

    def get_id(self) -> str:
        return self.key


@login_manager.user_loader
def _load_user(key: str) -> SignedIn | None:
    user = sessions.user_for(db.session, key, context.now())
    return SignedIn(user, key) if user is not None else None


def actor() -> User:
    """The signed-in console user of this request."""
    return current_user.user


def roles_required(*roles: str) -> Callable:
    """Require a console session (else to the sign-in page) and one of ``roles`` (else 403).

    Every console page but sign-in carries it; the default is both console roles.
    """
    allowed = set(roles or console_auth.CONSOLE_ROLES)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def locale() -> str:
    """The language chosen in this session (the language switch), 简体中文 by default."""
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "zh"


# Endpoints whose bodies may be larger than MAX_CONTENT_LENGTH (a roster upload):
# endpoint → a function giving its limit. Applied before the CSRF check reads the form.
UPLOAD_LIMITS: dict[str, Callable[[], int]] = {}


def _protect() -> None:
    # Every unsafe request to the console needs the session's CSRF token.
    if request.blueprint == "console" and request.method not in ("GET", "HEAD", "OPTIONS"):
        if request.endpoint in UPLOAD_LIMITS:
            request.max_content_length = UPLOAD_LIMITS[request.endpoint]()
        csrf.protect()


def console_headers(response: Response) -> Response:
    """The console's security headers: the CSP, frame denial, the referrer policy, and no
    caching of its pages (they hold personal data)."""
    if request.path.startswith("/console"):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.path.startswith("/console/static/"):
            response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Check CSRF on the console's forms and add its headers to every answer under it."""
    app.before_request(_protect)
    app.after_request(console_headers)
