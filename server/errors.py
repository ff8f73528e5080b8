"""The Flask handlers giving every failure one shape: ``{code, status, message, errors}``."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, current_app, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from server.services.core.errors import ServiceError

log = logging.getLogger(__name__)
# app.extensions key: path prefix → ``render(status, headers)`` giving that part's error page.
ERROR_PAGES = "tanfang_error_pages"


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    """The body every error response carries."""
    phrase = HTTPStatus(status).phrase
    return {
        "code": status,
        "status": phrase,
        "message": message or phrase,
        "errors": errors or {},
    }


def http_exception_body(error: HTTPException) -> tuple[dict, dict]:
    """Body and headers for a werkzeug/webargs HTTP exception."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message") or error.description
    if errors and not data.get("message"):
        message = "The request is not valid; see errors for each field."
    headers = dict(data.get("headers") or {})
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_body(error.code or 500, message, errors), headers


def error_page(status: int, headers: dict | None = None):
    """The page a part of the site with its own error pages answers (the console, in the
    reader's language), or None: the one JSON shape then."""
    for prefix, render in current_app.extensions.get(ERROR_PAGES, {}).items():
        if request.path.startswith(prefix) or request.path == prefix.rstrip("/"):
            return render(status, headers or {})
    return None


def handle_http_exception(error: HTTPException):
    """The response for a werkzeug/webargs HTTP exception, in the one shape."""
    if error.code == 500 and getattr(error, "original_exception", None) is not None:
        return handle_unexpected(error.original_exception)
    body, headers = http_exception_body(error)
    page = error_page(body["code"], headers)
    return page if page is not None else (jsonify(body), body["code"], headers)


def handle_service_error(error: ServiceError):
    """The response for a service's refusal."""
    page = error_page(error.status, error.headers)
    if page is not None:
        return page
    body = {**error_body(error.status, error.message, error.errors), **error.body_extra}
    return jsonify(body), error.status, error.headers


# Seconds a client is asked to wait when the embedded database is busy.
BUSY_RETRY_AFTER = 2


def _database_busy(error: Exception) -> bool:
    """SQLite's one writer was busy for longer than its busy_timeout: the server is
    overloaded, not broken (a PostgreSQL server never raises this)."""
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def handle_unexpected(error: Exception):
    """A 500 for anything else; the trace goes to the log, never to the client.

    The embedded database's lock timeout is the exception: 503 with Retry-After, so tablets
    back off and retry (nothing was applied: the transaction is rolled back)."""
    if _database_busy(error):
        log.warning("embedded database busy; answered 503")
        busy = {"Retry-After": str(BUSY_RETRY_AFTER)}
        body = error_body(503, "The server is busy; nothing was applied. Try again shortly.")
        page = error_page(503, busy)
        return page if page is not None else (jsonify(body), 503, busy)
    log.exception("unhandled error: %s", type(error).__name__)
    page = error_page(500)
    if page is not None:
        return page
    return jsonify(error_body(500, "Internal error; the change was not applied.")), 500


def init_app(app: Flask) -> None:
    """Register the handlers that give every error the one shape, API or not."""
    app.register_error_handler(ServiceError, handle_service_error)
    # flask-smorest registers its own hook for HTTPException (TanfangApi answers it with
    # handle_http_exception too); registering the same function here keeps the shape for
    # every URL whichever registration Flask keeps.
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
