"""The Flask handlers giving every failure one shape: ``{code, status, message, errors}``."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus

from flask import Flask, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from server.services.core.errors import ServiceError

log = logging.getLogger(__name__)
# app.extensions key: path prefix → ``render(status, headers)`` giving that part's error page.
ERROR_PAGES = "tanfang_error_pages"


# Field messages one error answer lists at most: a body of 1,000 bad items still gets an
# answer of a few kilobytes (the message says how many there were in all).
MAX_ERROR_MESSAGES = 100


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    """The body every error response carries (at most MAX_ERROR_MESSAGES field messages)."""
    phrase = HTTPStatus(status).phrase
    kept, total = _first_messages(errors or {}, [MAX_ERROR_MESSAGES])
    message = message or phrase
    if total > MAX_ERROR_MESSAGES:
        message = f"{message} (The first {MAX_ERROR_MESSAGES} of {total} problems are listed.)"
    return {"code": status, "status": phrase, "message": message, "errors": kept}


def _first_messages(errors, budget: list[int]) -> tuple[object, int]:
    """``errors`` (marshmallow's nested dicts and lists of messages) cut to the messages the
    budget allows, in order, and how many there were in all (depth is bounded by the JSON
    guard, so recursing is safe)."""
    if isinstance(errors, dict):
        kept, total = {}, 0
        for key, value in errors.items():
            part, count = _first_messages(value, budget)
            total += count
            if part not in ({}, []):
                kept[key] = part
        return kept, total
    if isinstance(errors, list | tuple):
        kept_list, total = [], 0
        for value in errors:
            if isinstance(value, dict | list | tuple):
                part, count = _first_messages(value, budget)
                if part not in ({}, []):
                    kept_list.append(part)
            else:
                count = 1
                if budget[0] > 0:
                    kept_list.append(value)
                    budget[0] -= 1
            total += count
        return kept_list, total
    if budget[0] > 0:
        budget[0] -= 1
        return errors, 1
    return [], 1


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


def _log_unexpected(error: Exception) -> None:
    """The trace of an unexpected error. A database error is logged by where it happened and
    its SQLSTATE only: PostgreSQL's own text names the values (``Key (id_number)=(…)``)."""
    if not isinstance(error, DBAPIError):
        log.exception("unhandled error: %s", type(error).__name__)
        return
    where = "".join(traceback.format_tb(error.__traceback__))
    state = getattr(error.orig, "sqlstate", None) or "-"
    kind = f"{type(error).__name__}/{type(error.orig).__name__}"
    log.error("unhandled database error: %s (SQLSTATE %s)\n%s", kind, state, where)


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
    _log_unexpected(error)
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
