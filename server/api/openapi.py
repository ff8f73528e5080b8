"""The error responses of the OpenAPI document, added to every operation in one place.

Every failure answers with the one error body (DESIGN §5, :mod:`server.errors`), so the
document says so for every status an operation can really give, and there is no catch-all
``default`` response: a client (and the schemathesis test) can rely on the list being
complete. A view still documents the refusals that are its own (``@blp.alt_response(403,
description=...)``); this plugin gives those the error body and adds the ones every
operation of a kind shares:

- 401 (with ``WWW-Authenticate``) for an operation that needs a token;
- 400 (body is not JSON) and 413 (body too large) for an operation with a body;
- 422 (field errors) for an operation with query parameters or a body;
- 404 for an operation on a path with an id in it (a malformed id is "no such record");
- 5XX for every operation: an infrastructure failure, nothing was applied.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from marshmallow import Schema

ERROR_SCHEMA_NAME = "Error"
ERROR_CONTENT_TYPE = "application/json"

_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "description": "The authentication scheme: `Bearer`.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds until the next attempt is allowed.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def _standard_responses(path: str, operation: dict[str, Any]) -> dict[str, str]:
    """The error statuses this operation can give whatever its view does, with descriptions."""
    standard: dict[str, str] = {}
    if operation.get("security"):
        standard["401"] = "No valid token (missing, unknown, expired or revoked)."
    if "requestBody" in operation:
        standard["400"] = "The body is not valid JSON."
        standard["413"] = "The body is larger than the server accepts."
    if "requestBody" in operation or any(
        p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)
    ):
        standard["422"] = "Field errors, under `errors` by location and field."
    if "{" in path:
        standard["404"] = "No such record, or none you may see."
    standard["5XX"] = "Internal error; the change was not applied."
    return standard


def _key(code: Any) -> str:
    """A response key as the document has it: ``"404"`` for 404 or HTTPStatus.NOT_FOUND."""
    return str(int(code)) if isinstance(code, int) else str(code)


def _is_error(code: str) -> bool:
    return code[:1] in ("4", "5")


class ErrorResponsesPlugin(BasePlugin):
    """An apispec plugin: the one error body on every error response of every operation."""

    spec: APISpec

    def __init__(self, error_schema: type[Schema]):
        self.error_schema = error_schema

    def init_spec(self, spec: APISpec) -> None:
        # The responses refer to the body by name, so the document must hold it even when
        # no view names the schema itself (the marshmallow plugin is initialised by now).
        self.spec = spec
        spec.components.schema(ERROR_SCHEMA_NAME, schema=self.error_schema)

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = {_key(code): doc for code, doc in operation.get("responses", {}).items()}
            for code, description in _standard_responses(path or "", operation).items():
                responses.setdefault(code, {"description": description})
            for code, doc in responses.items():
                if not _is_error(code) or not isinstance(doc, dict) or "$ref" in doc:
                    continue
                doc.setdefault("content", {ERROR_CONTENT_TYPE: {"schema": ERROR_SCHEMA_NAME}})
                if code in _HEADERS:
                    doc.setdefault("headers", {}).update(_HEADERS[code])
            operation["responses"] = dict(sorted(responses.items()))
