"""The web console at /console for supervisors and admins (server-rendered, Jinja)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the console's extensions and register its blueprint and pages."""
    from server.console import (  # noqa: F401 - their routes and helpers register themselves
        admin_areas,
        admin_audit,
        admin_devices,
        admin_policy,
        admin_users,
        audit_labels,
        auth,
        caseloads,
        dashboard,
        due,
        errors,
        fields,
        households,
        labels,
        leads,
        nav,
        review,
        review_bulk,
        roster,
        security,
    )
    from server.console.blueprint import bp
    from server.console.extensions import babel, bootstrap, csrf, login_manager

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "console/translations")
    # CSRF is checked for the console's forms only (security.protect): the API's clients
    # carry bearer tokens, not cookies, and have no forms.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    login_manager.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=security.locale)
    security.init_app(app)
    app.register_blueprint(bp)
