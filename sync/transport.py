"""The tablet's HTTP layer (DESIGN §5 "Transport"; docs/api.md "Sync (tablets)").

Layered like requests: :class:`Transport` is the facade the sync engine talks to (``login``,
``pull``, ``push``); :class:`HttpTransport` drives a ``requests.Session`` whose adapter owns
the sockets; :class:`InProcessTransport` answers the same calls from a Flask test client, so
one contract suite runs against both. Both turn responses into results or exceptions with
the one function :func:`handle_response` (in :mod:`sync.wire`, with the exceptions).
"""

from __future__ import annotations

import abc
import gzip
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from sync.wire import (  # re-exported: the transport's public names
    API,
    REDACTED,
    RETRY_AFTER_CAP,
    RETRY_STATUSES,
    SAFE_METHODS,
    AuthError,
    ClientError,
    Pending,
    RequestInfo,
    ServerError,
    SyncError,
    Throttled,
    TransportError,
    backoff_delay,
    decode_body,
    encode_body,
    error_body,
    error_for_response,
    handle_response,
    parse_retry_after,
    redact,
)

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- facade


class Transport(abc.ABC):
    """The calls the sync engine makes; implementations raise only :class:`SyncError`."""

    def __init__(self) -> None:
        self._token: str | None = None

    @abc.abstractmethod
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> dict:
        """Send one API call and return its decoded JSON body (``{}`` for 204).

        ``path`` starts with ``/api/v1``. ``idempotent`` says whether the call may be
        repeated after a failure that might have reached the server; None means "GET, HEAD
        and OPTIONS are, anything else is not".
        """

    def close(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Release connections (nothing to release by default)."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def set_token(self, token: str | None) -> None:
        """Use ``token`` as the bearer token from now on (None: send none)."""
        self._token = token

    @property
    def authenticated(self) -> bool:
        """True when a token is set."""
        return self._token is not None

    def login(
        self, username: str, password: str, device_id: str, device_name: str, app_version: str
    ) -> dict:
        """Sign this device in; stores the token and returns ``{token, expires_at, user}``."""
        body = self.request(
            "POST",
            f"{API}/auth/token",
            json={
                "username": username,
                "password": password,
                "device_id": device_id,
                "device_name": device_name,
                "app_version": app_version,
            },
            idempotent=False,  # each sign-in revokes the device's previous token
        )
        if not isinstance(body.get("token"), str):
            raise TransportError(f"POST {API}/auth/token answered without a token")
        self.set_token(body["token"])
        return body

    def logout(self) -> None:
        """Revoke the token on the server and forget it (an already dead token is fine)."""
        try:
            self.request("POST", f"{API}/auth/logout", idempotent=True)
        except AuthError:
            pass
        self.set_token(None)

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the signed-in user's own password (the token stays valid)."""
        self.request(
            "POST",
            f"{API}/auth/password",
            json={"current_password": current_password, "new_password": new_password},
            idempotent=False,  # a retry would send a current password that is no longer
        )

    def pull(self, cursor: str | None, limit: int = 500, pending: Pending | None = None) -> dict:
        """One page of changes after ``cursor``: ``{changes, cursor, has_more, remaining,
        server_time}`` (``remaining``: changes of the run still to come after this page)."""
        return self.request(
            "GET",
            f"{API}/sync/pull",
            params={"cursor": cursor or "", "limit": limit},
            headers=pending_headers(pending),
        )

    def push(self, body: dict, idempotency_key: str, pending: Pending | None = None) -> dict:
        """Send outbox mutations; safe to repeat with the same key and body: ``{results}``."""
        return self.request(
            "POST",
            f"{API}/sync/push",
            json=body,
            headers={"Idempotency-Key": idempotency_key, **pending_headers(pending)},
            idempotent=True,  # mutation ids and the Idempotency-Key make a replay harmless
        )

    def report_discards(self, body: dict) -> dict:
        """Tell the server of records discarded on the tablet: ``{recorded}``; safe to
        repeat (each report has its own id)."""
        return self.request("POST", f"{API}/sync/discards", json=body, idempotent=True)

    def report_wiped(self, device_id: str, unsent: int) -> None:
        """Tell the server this revoked tablet destroyed its keys and files, giving up
        ``unsent`` records (the token, dead for all else, names the tablet); safe to
        repeat."""
        self.request(
            "POST",
            f"{API}/sync/wiped",
            json={"device_id": device_id, "unsent": unsent},
            idempotent=True,  # the server keeps the first report
        )

    def deposit_escrow(self, key: str) -> None:
        """Deposit this tablet's escrow key (base64url); safe to repeat (a PUT)."""
        self.request("PUT", f"{API}/auth/escrow", json={"key": key}, idempotent=True)

    def release_escrow(self) -> str:
        """The escrow key of the tablet this token was issued to (another advisor opening
        a locked tablet; docs/api.md "Key escrow"); audited, so not repeated blindly."""
        return self.request("POST", f"{API}/auth/escrow/release", idempotent=False)["key"]

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        headers.update(extra or {})
        return headers


def pending_headers(pending: Pending | None) -> dict[str, str]:
    """``X-Pending-Count`` / ``X-Oldest-Pending-At`` for the server's sync-health view."""
    if pending is None:
        return {}
    count, oldest = pending
    headers = {"X-Pending-Count": str(int(count))}
    if oldest:
        headers["X-Oldest-Pending-At"] = oldest
    return headers


def _idempotent(method: str, idempotent: bool | None) -> bool:
    return method in SAFE_METHODS if idempotent is None else idempotent


class HttpTransport(Transport):
    """The real transport: timeouts, gzip, retries with backoff and full jitter.

    Retries: connection errors, read timeouts, truncated or garbled 2xx bodies and the
    statuses in :data:`RETRY_STATUSES`, at most ``retries`` times, waiting
    ``rng() * min(backoff_cap, backoff_base * 2**attempt)`` and at least ``Retry-After``.
    Only requests safe to repeat are retried: idempotent ones, any whose connection was never
    made, and any answered 429 (refused, so not applied).
    """

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        *,
        timeout: float | tuple[float, float] = (5, 30),
        retries: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        gzip_min_bytes: int = 1024,
        retry_after_cap: float = RETRY_AFTER_CAP,
    ):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self._own_session = session is None
        self.session = session if session is not None else self._new_session()
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self.gzip_min_bytes = gzip_min_bytes
        self._sleep = sleep
        self._rng = rng

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        # Retrying is ours alone: urllib3 must never repeat a POST behind our back.
        adapter = HTTPAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        """Close the session's connections if this transport created the session."""
        if self._own_session:
            self.session.close()

    def request(self, method, path, *, json=None, params=None, headers=None, idempotent=None):
        """Send one call, retrying what is safe to retry; see :meth:`Transport.request`."""
        method = method.upper()
        data, body_headers = encode_body(json, self.gzip_min_bytes)
        prepared = self.session.prepare_request(
            requests.Request(
                method,
                self.base_url + path,
                data=data,
                params=params,
                headers={**self._headers(headers), **body_headers},
            )
        )
        info = RequestInfo.build(method, prepared.url or path, prepared.headers)
        settings = self.session.merge_environment_settings(prepared.url, {}, None, None, None)
        repeatable = _idempotent(method, idempotent)
        attempt = 0
        while True:
            try:
                return self._send(prepared, info, settings)
            except SyncError as error:
                error.attempts = attempt + 1
                delay = self._retry_delay(error, attempt, repeatable)
                if delay is None:
                    raise
                log.warning("%s; retry %d/%d in %.2f s", error, attempt + 1, self.retries, delay)
                self._sleep(delay)
                attempt += 1

    def _send(self, prepared: requests.PreparedRequest, info: RequestInfo, settings) -> dict:
        started = time.monotonic()
        try:
            response = self.session.send(prepared, timeout=self.timeout, **settings)
        except (
            requests.ConnectionError,  # refused, reset, read timeout (ConnectTimeout too)
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,  # body cut short
            requests.exceptions.ContentDecodingError,  # gzip garbled
        ) as exc:
            raise self._transport_error(exc, info) from exc
        log.debug("%s -> %d (%.3f s)", info, response.status_code, time.monotonic() - started)
        return handle_response(
            response.status_code,
            response.headers,
            response.content,
            request=info,
            response=response,
        )

    def _transport_error(self, exc: requests.RequestException, info: RequestInfo):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        unsent = isinstance(exc, requests.ConnectTimeout) or isinstance(
            reason, ConnectTimeoutError | NewConnectionError
        )
        detail = redact(f"{type(exc).__name__}: {reason or exc}", self._token)
        return TransportError(f"{info} failed: {detail}", cause=exc, unsent=unsent, request=info)

    def _retry_delay(self, error: SyncError, attempt: int, repeatable: bool) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if attempt >= self.retries or not error.retryable:
            return None
        unsent = isinstance(error, TransportError) and error.unsent
        if not (repeatable or unsent or error.status == 429):
            return None
        delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap, self._rng)
        if error.retry_after is not None:
            if error.retry_after > self.retry_after_cap:
                return None
            delay = max(delay, error.retry_after)
        return delay


class InProcessTransport(Transport):
    """The same calls answered by a Flask test client (duck-typed; flask is not imported).

    ``client.open(path, method=, headers=, query_string=, data=)`` must return a response
    with ``status_code``, ``headers`` and ``data``. Bodies are encoded exactly as
    :class:`HttpTransport` encodes them (gzip included); there are no retries.
    """

    def __init__(self, client: Any, *, gzip_min_bytes: int = 1024):
        super().__init__()
        self.client = client
        self.gzip_min_bytes = gzip_min_bytes

    def request(self, method, path, *, json=None, params=None, headers=None, idempotent=None):
        """Send one call through the test client; see :meth:`Transport.request`."""
        method = method.upper()
        data, body_headers = encode_body(json, self.gzip_min_bytes)
        all_headers = {**self._headers(headers), **body_headers}
        url = f"{path}?{urlencode(params, doseq=True)}" if params else path
        info = RequestInfo.build(method, url, all_headers)
        kwargs: dict[str, Any] = {"method": method, "headers": all_headers}
        if params:
            kwargs["query_string"] = dict(params)
        if data is not None:
            kwargs["data"] = data
        response = self.client.open(path, **kwargs)
        content = response.data
        if response.headers.get("Content-Encoding") == "gzip" and content:
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError) as exc:
                raise TransportError(
                    f"{info} -> garbled gzip body", cause=exc, request=info, response=response
                ) from exc
        log.debug("%s -> %d", info, response.status_code)
        return handle_response(
            response.status_code, response.headers, content, request=info, response=response
        )


__all__ = [
    "HttpTransport",
    "InProcessTransport",
    "Transport",
    "pending_headers",
    "API",
    "RETRY_STATUSES",
    "SAFE_METHODS",
    "RETRY_AFTER_CAP",
    "REDACTED",
    "Pending",
    "RequestInfo",
    "SyncError",
    "TransportError",
    "AuthError",
    "ClientError",
    "Throttled",
    "ServerError",
    "parse_retry_after",
    "backoff_delay",
    "error_body",
    "error_for_response",
    "decode_body",
    "handle_response",
    "encode_body",
    "redact",
]
