"""Console errors as pages (the API keeps its JSON shape; this covers /console only)."""

from __future__ import annotations

from flask import render_template
from werkzeug.exceptions import HTTPException

from server.console.blueprint import bp
from server.services.core.errors import ServiceError


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return render_template("console/error.html", status=error.status), error.status, error.headers


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code or 500
    return render_template("console/error.html", status=status), status
