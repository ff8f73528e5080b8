"""Runs sync (and sign-in) off the UI thread, with backoff; results come back through ``post``.

GUI-agnostic: the app passes ``post`` = "run this on the main thread" (``Clock``-based); tests
pass a plain call. One job at a time: a second request while one runs is dropped, because the
running one will send whatever the second would have.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mobile import receipts
from sync.client import SyncClient, SyncReport
from sync.wire import (
    AuthError,
    ClientError,
    ServerError,
    SyncError,
    Throttled,
    TransportError,
)

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
BACKOFF_BASE = 15.0
BACKOFF_CAP = 15 * 60.0


def make_transport(server_url: str):
    """HTTP with short retries: the runner's own backoff takes over after."""
    # Here, not at the top: requests and urllib3 load on the sync's own thread, not
    # before the PIN screen can be drawn.
    from sync.transport import HttpTransport

    return HttpTransport(server_url, retries=2, backoff_cap=4, timeout=(5, 30))


def make_client(store, server_url: str) -> SyncClient:
    """A client over :func:`make_transport`."""
    return SyncClient(store, make_transport(server_url))


class SyncRunner:
    """One background worker for sign-in and sync; callbacks run through ``post``."""

    def __init__(self, store, server_url: str, post: Post, *, clock=time.monotonic) -> None:
        self.store = store
        self.server_url = server_url
        self._post = post
        self._clock = clock
        self._thread: threading.Thread | None = None
        # A job's result is posted to the UI thread after its thread ended: until that
        # callback ran (and queued what follows it, e.g. the due list's recompute) the job
        # is not over, or a reader could see "idle" in between.
        self._open = False
        self.failures = 0
        self.next_auto_at = 0.0
        # The app's "lock now" (issue 19): called on the UI thread the moment an answer
        # says this tablet was revoked, while the sync may still be sending what it holds.
        self.on_revoked: Callable[[], None] | None = None

    @property
    def busy(self) -> bool:
        """A job is running, or its result has not reached the UI thread's callback yet."""
        return self._open

    def _start(self, work: Callable[[], Any], done: Callable[[Any], None], failed) -> bool:
        if self.busy:
            return False
        self._open = True

        def deliver(callback: Callable[[Any], None], value: Any) -> None:
            try:
                callback(value)
            finally:
                self._open = False

        def run() -> None:
            try:
                result = work()
            except Exception as error:  # every failure is reported, none kills the thread
                log.info("background job failed: %s", type(error).__name__)
                self._post(lambda error=error: deliver(failed, error))
            else:
                self._post(lambda: deliver(done, result))

        self._thread = threading.Thread(target=run, name="tanfang-sync", daemon=True)
        try:
            self._thread.start()
        except BaseException:
            self._open = False
            raise
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running job (tests, shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def login(
        self,
        server_url: str,
        username: str,
        password: str,
        done,
        failed,
        unlock: Callable[[], bool] = lambda: False,
        accepted: Callable[[dict, Any], None] = lambda user, transport: None,
    ) -> bool:
        """Sign in with the password; ``done(user)`` or ``failed(error)``.

        On the worker thread, ``unlock()`` first opens a locked store (True when the
        password proved itself against the keyring, so that no network is needed: the
        user then comes from the store, with ``offline`` set); ``accepted(user,
        transport)`` runs after the server took the password (the transport signed in).
        """
        self.server_url = server_url

        def work():
            proved = unlock()
            client = make_client(self.store, server_url)
            try:
                user = client.login(
                    username, password, device_name="tablet", app_version=app_version()
                )
            except (TransportError, OSError):
                if not proved:
                    raise
                return {**(self.store.get_state("user") or {}), "offline": True}
            accepted(user, client.transport)
            self.store.set_state("server_url", server_url)
            self.store.set_state("signed_out", None)
            return user

        return self._start(work, done, failed)

    def change_password(
        self, current: str, new: str, done, failed, accepted: Callable[[], None] = lambda: None
    ) -> bool:
        """Change the signed-in advisor's password on the server; ``done(None)`` or
        ``failed(error)`` (a :class:`sync.wire.ClientError` with field messages for 422).
        ``accepted()`` runs on the worker thread once the server changed it."""

        def work() -> None:
            make_client(self.store, self.server_url).change_password(current, new)
            accepted()

        return self._start(work, done, failed)

    def sync(self, progress, done, failed) -> bool:
        """Push then pull; ``progress(phase, done, total)`` is posted as it goes."""

        def work() -> SyncReport:
            client = make_client(self.store, self.server_url)
            client.on_revoked = lambda kind, wipe: self._post(self._revoked)
            waiting = receipts.waiting_ids(self.store)

            def report(phase: str, count: int, total: int | None) -> None:
                self._post(lambda: progress(phase, count, total))

            try:
                result = client.sync(report)
            except AuthError as error:
                if error.status == 401 and error.revoked is None:
                    # Signed out, expired, or a deactivated account: keep every record, ask
                    # for the password; the outbox is sent after the next valid sign-in.
                    # (An admin's revocation was noted by the client: the app locks.)
                    self.store.set_state("signed_out", True)
                raise
            finally:
                receipts.note_received(self.store, waiting, datetime.now(UTC))
            return result

        def ok(result: SyncReport) -> None:
            self.failures, self.next_auto_at = 0, self._clock() + BACKOFF_BASE
            _remember(self.store, "ok", result=result)
            done(result)

        def bad(error: Exception) -> None:
            self.failures += 1
            delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**self.failures) * random.random()
            self.next_auto_at = self._clock() + max(BACKOFF_BASE, delay)
            _remember(self.store, "failed", error=error)
            failed(error)

        return self._start(work, ok, bad)

    def _revoked(self) -> None:
        if self.on_revoked is not None:
            self.on_revoked()

    def auto_due(self) -> bool:
        """Time for an automatic sync: signed in, not busy, past the backoff."""
        if self.store is None:  # locked
            return False
        signed_in = self.store.get_state("token") and not self.store.get_state("signed_out")
        return bool(signed_in) and not self.busy and self._clock() >= self.next_auto_at


def _remember(store, outcome: str, *, result: SyncReport | None = None, error=None) -> None:
    """Keep the last result for the sync screen (counts or the error's kind, no secrets)."""
    entry: dict[str, Any] = {"outcome": outcome, "at": datetime.now(UTC).isoformat()}
    if result is not None:
        entry["sent"] = sum(result.pushed.values())
        entry["pulled"] = result.pulled
        entry["attention"] = result.needs_attention
    if error is not None:
        entry["error"] = describe_error(error)
        entry["failure"] = failure_kind(error)
    store.set_state("last_sync", entry)


def describe_error(error: Exception) -> str:
    """A short cause for the log: the class of failure, never a URL with a token."""
    if isinstance(error, SyncError):
        status = getattr(error, "status", None)
        return f"{type(error).__name__} {status}" if status else type(error).__name__
    return type(error).__name__


def failure_kind(error: Exception) -> str:
    """What went wrong, as the catalog's ``failure.<kind>`` names it for the advisor."""
    if isinstance(error, TransportError | OSError):
        return "offline"
    if isinstance(error, AuthError):
        return "signed_out" if error.status == 401 else "forbidden"
    if isinstance(error, Throttled):
        return "throttled"
    if isinstance(error, ServerError):
        return "server"
    if isinstance(error, ClientError):
        return "refused"
    return "other"


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tanfang")
    except PackageNotFoundError:
        return "0"
