"""The web console at /console for supervisors and admins (server-rendered, Jinja)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the console's extensions and register its blueprint and pages."""
    # Importing a page module registers its routes and helpers on the blueprint.
    from server.console import (  # noqa: F401
        auth,
        errors,
        fields,
        labels,
        nav,
        security,
    )
    from server.console.admin import (  # noqa: F401
        area_import,
        areas,
        audit,
        audit_labels,
        devices,
        jobs,
        policy,
        users,
    )
    from server.console.blueprint import bp
    from server.console.caseloads import views as caseload_views  # noqa: F401
    from server.console.dashboard import views as dashboard_views  # noqa: F401
    from server.console.due import views as due_views  # noqa: F401
    from server.console.extensions import babel, bootstrap, csrf, login_manager
    from server.console.households import views as household_views  # noqa: F401
    from server.console.ids import IdConverter
    from server.console.leads import views as lead_views  # noqa: F401
    from server.console.review import bulk  # noqa: F401
    from server.console.review import views as review_views  # noqa: F401
    from server.console.roster import views as roster_views  # noqa: F401
    from server.console.warnings import views as warning_views  # noqa: F401

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
    errors.init_app(app)
    # Before the blueprint: its routes are bound to the converters when registered.
    app.url_map.converters["id"] = IdConverter
    app.register_blueprint(bp)
