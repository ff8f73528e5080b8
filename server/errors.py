"""One error shape for every failure: ``{code, status, message, errors}``."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal from a service; the API turns it into the error shape.

    ``errors`` holds field-level messages, ``{field: [message, ...]}``, where they apply.
    """

    status = 400

    def __init__(self, message: str, errors: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}


class Invalid(ServiceError):
    """The data is well-formed but not acceptable (422)."""

    status = 422


class Unauthorized(ServiceError):
    """No valid credentials (401)."""

    status = 401

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message, errors, {"WWW-Authenticate": 'Bearer realm="tanfang"'})


class Forbidden(ServiceError):
    """Signed in, but this is outside the actor's role or area (403)."""

    status = 403


class NotFound(ServiceError):
    """No such record, or none the actor may see (404)."""

    status = 404


class Conflict(ServiceError):
    """The change collides with the current state (409)."""

    status = 409


class TooLarge(ServiceError):
    """The request carries more than the server takes in one go (413)."""

    status = 413


class Throttled(ServiceError):
    """Too many attempts; ``retry_after`` seconds until the next is allowed (429)."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, None, {"Retry-After": str(retry_after)})
        self.retry_after = retry_after


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


def init_app(app: Flask) -> None:
    """Register the handlers that give every error the one shape."""

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        return (
            jsonify(error_body(error.status, error.message, error.errors)),
            error.status,
            error.headers,
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code == 500 and getattr(error, "original_exception", None) is not None:
            return _unhandled(error.original_exception)
        body, headers = http_exception_body(error)
        return jsonify(body), body["code"], headers

    @app.errorhandler(Exception)
    def _unhandled(error: Exception):
        # The trace goes to the log, never to the client.
        log.exception("unhandled error: %s", type(error).__name__)
        return jsonify(error_body(500, "Internal error; the change was not applied.")), 500
