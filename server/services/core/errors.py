"""The refusals services raise (the ServiceError family); no Flask, so any caller can use them."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal from a service; the API turns it into the error shape.

    ``errors`` holds field-level messages, ``{field: [message, ...]}``, where they apply.
    ``body_extra`` adds keys to the error body beside the shape's four.
    ``keeps_changes`` is False for every refusal but one kind: a refusal that is itself a
    fact to keep (a failed sign-in, which throttling counts) sets it, and the unit of work
    (:mod:`server.services.core.transaction`) then commits what the service wrote before raising.
    """

    status = 400
    keeps_changes = False
    # Keys a refusal adds beside the one shape's (a revoked tablet's ``revoked``, ``wipe``).
    body_extra: dict = {}  # noqa: RUF012 - never mutated: instances assign their own

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
