"""The wire of the sync API: its errors as exceptions, response decoding, body encoding.

Shared by every transport (:mod:`sync.transport`) so they map answers identically. Every
failure is a :class:`SyncError` carrying a :class:`RequestInfo` (never the token or the
body, which may hold a password or personal data) and the response, if there was one.
"""

from __future__ import annotations

import gzip
import json as jsonlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

API = "/api/v1"
# Statuses worth asking again: the server (or a proxy in front of it) was busy or broken.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A server asking us to wait longer than this is refusing for now (e.g. a sign-in lockout):
# we give up at once and let the caller say so, rather than block the tablet for minutes.
RETRY_AFTER_CAP = 120.0
REDACTED = "Bearer ***"
REVOCATION_KEYS = ("revoked", "wipe")

Pending = tuple[int, str | None]


@dataclass(frozen=True)
class RequestInfo:
    """What was asked, safe to log: method, URL and headers with the token redacted."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, method: str, url: str, headers: Mapping[str, str]) -> RequestInfo:
        """A RequestInfo whose ``Authorization`` header is replaced by a placeholder."""
        safe = {k: REDACTED if k.lower() == "authorization" else v for k, v in headers.items()}
        return cls(method.upper(), url, safe)

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


# ---------------------------------------------------------------------------- exceptions


class SyncError(Exception):
    """Base of every transport failure.

    ``request`` is the :class:`RequestInfo`; ``response`` the underlying response object
    (``requests.Response``, or the test client's) or None; ``status`` its HTTP status;
    ``body`` the server's error body ``{code, status, message, errors}`` (synthesised from the
    status when the server sent none); ``retry_after`` the seconds the server asked us to
    wait; ``attempts`` how many times the request was sent. Log ``request``, never
    ``response.request``: the raw request still holds the token and the body.
    """

    def __init__(
        self,
        message: str,
        *,
        request: RequestInfo | None = None,
        response: Any = None,
        status: int | None = None,
        body: dict | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.request = request
        self.response = response
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.attempts = 1

    @property
    def retryable(self) -> bool:
        """True when asking again later may succeed (the outbox keeps the work)."""
        return self.status in RETRY_STATUSES

    @property
    def message(self) -> str:
        """The server's sentence for a person, or this error's own description."""
        return (self.body or {}).get("message") or str(self.args[0])

    @property
    def errors(self) -> dict:
        """Field-level messages from the error body (``{}`` when none)."""
        return (self.body or {}).get("errors") or {}

    def __str__(self) -> str:
        text = str(self.args[0]) if self.args else type(self).__name__
        return text if self.attempts <= 1 else f"{text} (after {self.attempts} attempts)"


class TransportError(SyncError):
    """The network failed: refused, reset, timed out, or a truncated/garbled body.

    ``cause`` is the underlying exception; ``unsent`` is True when no byte of the request
    can have reached the server (the connection was never made), so even a non-idempotent
    request may be repeated.
    """

    def __init__(self, message: str, *, cause: BaseException | None = None, unsent=False, **kw):
        super().__init__(message, **kw)
        self.cause = cause
        self.unsent = unsent

    @property
    def retryable(self) -> bool:
        """Network failures are always worth another try later."""
        return True


class AuthError(SyncError):
    """401 (no valid token: sign in again) or 403 (outside the user's role or area).

    A token an admin revoked (issue 19) says so: ``revoked`` is the kind ("retire" or
    "lost"), ``wipe`` whether the tablet must wipe itself now."""

    @property
    def retryable(self) -> bool:
        """Asking again with the same credentials gives the same answer."""
        return False

    @property
    def revoked(self) -> str | None:
        """The kind of an admin's revocation, or None (signed out, expired, wrong)."""
        kind = (self.body or {}).get("revoked")
        return kind if isinstance(kind, str) else None

    @property
    def wipe(self) -> bool:
        """The server tells this revoked tablet to destroy its data now."""
        return self.revoked is not None and (self.body or {}).get("wipe") is True


class ClientError(SyncError):
    """Any other 4xx (404, 405, 413, 422, ...): the request itself must change."""


class Throttled(ClientError):
    """429: too many requests (or failed sign-ins); ``retry_after`` says for how long."""


class ServerError(SyncError):
    """5xx, still failing after the retries: nothing was applied; try the same call later."""


# ---------------------------------------------------------------------------- responses


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng() * min(cap, base * 2.0 ** min(attempt, 64))


def error_body(status: int, content: bytes) -> dict:
    """The server's ``{code, status, message, errors}``, or one made up from the status."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown status"
    body: dict = {"code": status, "status": phrase, "message": phrase, "errors": {}}
    try:
        decoded = jsonlib.loads(content) if content else None
    except ValueError:  # e.g. a proxy's HTML error page
        decoded = None
    if isinstance(decoded, dict):
        body.update({k: decoded[k] for k in body if decoded.get(k)})
        # Beside the shape's four: a revoked tablet's kind and whether to wipe (issue 19).
        body.update({k: decoded[k] for k in REVOCATION_KEYS if k in decoded})
    return body


def error_for_response(
    status: int, headers: Mapping[str, str], content: bytes, *, request: RequestInfo, response
) -> SyncError | None:
    """The exception an HTTP answer maps to, or None for a 2xx (see the table in docs)."""
    if 200 <= status < 300:
        return None
    body = error_body(status, content)
    kind: type[SyncError]
    if status in (401, 403):
        kind = AuthError
    elif status == 429:
        kind = Throttled
    elif status >= 500:
        kind = ServerError
    else:
        kind = ClientError
    return kind(
        f"{request.method} {request.url} -> {status} {body['status']}: {body['message']}",
        request=request,
        response=response,
        status=status,
        body=body,
        retry_after=parse_retry_after(headers.get("Retry-After")),
    )


def decode_body(status: int, content: bytes, *, request: RequestInfo, response) -> dict:
    """A 2xx body as a dict (``{}`` when empty); a garbled one is a TransportError."""
    if status == 204 or not content:
        return {}
    try:
        decoded = jsonlib.loads(content)
    except ValueError as exc:  # truncated or garbled on the way: try again
        raise TransportError(
            f"{request} -> {status} with a body that is not valid JSON",
            cause=exc,
            request=request,
            response=response,
        ) from exc
    if not isinstance(decoded, dict):
        raise TransportError(
            f"{request} -> {status} with a JSON {type(decoded).__name__}, not an object",
            request=request,
            response=response,
        )
    return decoded


def handle_response(
    status: int, headers: Mapping[str, str], content: bytes, *, request: RequestInfo, response
) -> dict:
    """Shared by every transport: the decoded body of a 2xx, or raise the mapped error."""
    error = error_for_response(status, headers, content, request=request, response=response)
    if error is not None:
        raise error
    return decode_body(status, content, request=request, response=response)


def encode_body(payload: Any, gzip_min_bytes: int) -> tuple[bytes | None, dict[str, str]]:
    """Compact UTF-8 JSON, gzip-compressed above ``gzip_min_bytes``, and its headers."""
    if payload is None:
        return None, {}
    data = jsonlib.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if len(data) > gzip_min_bytes:
        data = gzip.compress(data, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return data, headers


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` masked."""
    return text.replace(secret, "***") if secret else text
