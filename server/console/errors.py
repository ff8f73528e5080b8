"""Console errors as pages in the reader's language, whatever raised them (a view, the
routing's 404 and 405, an unexpected 500); the API keeps its JSON shape."""

from __future__ import annotations

import logging

from flask import Flask, render_template

from server.errors import ERROR_PAGES
from server.extensions import db

log = logging.getLogger(__name__)


def error_page(status: int, headers: dict):
    """The console's page for ``status``, or None (the JSON shape) if even it fails."""
    if status >= 500:
        db.session.rollback()  # the page must not read through a failed transaction
    try:
        return render_template("console/error.html", status=status), status, headers
    except Exception:  # noqa: BLE001 - a page that cannot be drawn falls back to JSON
        log.exception("the console's error page failed")
        return None


def init_app(app: Flask) -> None:
    """Answer errors under /console/ with the console's page (server.errors asks for it)."""
    app.extensions.setdefault(ERROR_PAGES, {})["/console/"] = error_page
