"""The sync engine: push the outbox, then pull pages until the server has nothing more."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sync.protocol import SCHEMA_VERSION, canonical_json
from sync.store.push import is_stale
from sync.wire import AuthError, ClientError

if TYPE_CHECKING:  # the HTTP stack (requests) is imported by whoever builds a transport
    from sync.transport import Transport

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]
# Called the moment an answer says this tablet was revoked: (kind, wipe now?).
Revoked = Callable[[str, bool], None]
# Renumbering rounds in a row before a push gives up (each should settle in one).
MAX_RENUMBER_ROUNDS = 3


class SyncError(RuntimeError):
    """The engine cannot go on safely; the outbox is kept as it is."""


class Store(Protocol):
    """What the engine needs of a tablet store (``sync.store.SQLiteStore`` is one)."""

    def device_id(self) -> str: ...
    def cursor(self) -> str | None: ...
    def pending_count(self) -> int: ...
    def oldest_pending_at(self) -> str | None: ...
    def pending_mutations(self, limit: int = 100) -> list[dict[str, Any]]: ...
    def mark_sent(self, mutation_ids: list[int]) -> list[dict[str, Any]]: ...
    def mark_failed(self, mutation_ids: list[int], error: str) -> None: ...
    def apply_results(self, results: list[dict[str, Any]]) -> None: ...
    def restart_pull(self) -> None: ...
    def apply_pull_page(
        self, changes: list[dict[str, Any]], cursor: str, *, last: bool = False
    ) -> dict: ...
    def get_state(self, key: str) -> Any: ...
    def set_state(self, key: str, value: Any) -> None: ...
    def begin_user(self, user: dict[str, Any], token: str) -> bool: ...
    def outbox_author(self, mutation_id: int) -> int | None: ...
    def author_token(self, author_id: int) -> str | None: ...
    def forget_author_tokens(self) -> None: ...
    def settle_handover(self) -> int: ...
    def discard_reports(self) -> list[dict[str, Any]]: ...
    def forget_discard_reports(self, report_ids: list[str]) -> None: ...


@dataclass
class SyncReport:
    """What one sync did: counts per push result status and pulled changes."""

    pushed: dict[str, int] = field(default_factory=dict)
    pulled: int = 0
    pages: int = 0
    discards: int = 0  # discarded records reported to the server

    @property
    def needs_attention(self) -> int:
        """Mutations the server refused or found in conflict (kept for the advisor)."""
        return self.pushed.get("rejected", 0) + self.pushed.get("conflict", 0)


def idempotency_key(body: dict) -> str:
    """The same request body always gets the same key, so a re-sent batch is a replay."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


class SyncClient:
    """Moves records between a tablet store and the server over a transport.

    ``sync()`` pushes first so the server has everything before tombstones can arrive; a
    failure leaves the store as it was after the last completed step, so calling ``sync()``
    again converges.
    """

    def __init__(
        self, store: Store, transport: Transport, *, batch: int = 100, pull_limit: int = 1000
    ):
        self.store = store
        self.transport = transport
        self.batch = batch
        self.pull_limit = pull_limit
        # Set by the app to lock its screens at once, while the sync goes on (issue 19).
        self.on_revoked: Revoked | None = None
        token = store.get_state("token")
        if token:
            transport.set_token(token)

    def login(
        self, username: str, password: str, *, device_name: str = "", app_version: str = ""
    ) -> dict:
        """Sign this tablet in; the token is kept in the store (never logged)."""
        answer = self.transport.login(
            username, password, self.store.device_id(), device_name, app_version
        )
        if self.store.begin_user(answer["user"], answer["token"]):
            # Another advisor had this tablet: their unsent records stay queued and go out
            # on their behalf; the pulled caseload starts over for the new advisor.
            log.info("a new advisor signed in on this tablet; caseload pulled afresh")
        self._note_lease(answer)
        self.store.set_state("revoked", None)
        return answer["user"]

    def _note_lease(self, answer: dict) -> None:
        """Keep the offline lease a successful answer carries (ISO time, see docs/api.md)."""
        if isinstance(answer.get("lease_until"), str):
            self.store.set_state("lease_until", answer["lease_until"])

    def _revoked(self, kind: str, wipe: bool) -> None:
        """An answer said this tablet was revoked: keep it (the app locks its screens now,
        and at its next start), and tell the app at once."""
        self.store.set_state("revoked", {"kind": kind, "wipe": wipe})
        if self.on_revoked is not None:
            self.on_revoked(kind, wipe)

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change this advisor's password on the server (e.g. after an admin's reset);
        a wrong current password raises the API's 422 with field messages."""
        self.transport.change_password(current_password, new_password)

    def _pending(self) -> tuple[int, str | None]:
        return self.store.pending_count(), self.store.oldest_pending_at()

    def push(self, progress: Progress | None = None) -> dict[str, int]:
        """Send the outbox in batches, oldest first; returns counts per result status.

        A batch holds one author's mutations: an earlier advisor's (a tablet that changed
        hands) go with that advisor's kept token as proof, attributed to them. Mutations
        the server refuses by *id* (``renumbered`` in the counts) are renumbered by the
        store and sent again, so each record arrives once.
        """
        counts: dict[str, int] = {}
        total, done, rounds = self.store.pending_count(), 0, 0
        while True:
            pending = self.store.pending_mutations(self.batch)
            if not pending:
                self.store.forget_author_tokens()
                return counts
            body, ids = self._batch(pending)
            try:
                answer = self.transport.push(body, idempotency_key(body), pending=self._pending())
            except Exception as error:
                self.store.mark_failed(ids, f"{type(error).__name__}: {error}")
                raise
            self.store.apply_results(answer["results"])
            if isinstance(answer.get("revoked"), str):
                # Retired: everything held is still sent; the screens lock meanwhile.
                self._revoked(answer["revoked"], False)
            stale = 0
            for result in answer["results"]:
                status = "renumbered" if is_stale(result) else result["status"]
                counts[status] = counts.get(status, 0) + 1
                stale += status == "renumbered"
            rounds = rounds + 1 if stale else 0
            if rounds > MAX_RENUMBER_ROUNDS:
                raise SyncError("the server keeps refusing this tablet's mutation ids")
            done += len(ids) - stale
            if progress:
                progress("push", done, max(total, done))

    def _batch(self, pending: list[dict[str, Any]]) -> tuple[dict[str, Any], list[int]]:
        """The push body for the oldest run of one author's mutations; marks them sent."""
        user = self.store.get_state("user") or {}
        authors = [self.store.outbox_author(m["mutation_id"]) for m in pending]
        first = authors[0]
        run = next((i for i, a in enumerate(authors) if a != first), len(authors))
        ids = [m["mutation_id"] for m in pending[:run]]
        body: dict[str, Any] = {
            "device_id": self.store.device_id(),
            "schema_version": SCHEMA_VERSION,
            "mutations": self.store.mark_sent(ids),
        }
        if first is not None and first != user.get("id"):
            token = self.store.author_token(first)
            if token is None:
                # Sending them as the signed-in advisor would re-attribute them: refuse.
                raise SyncError(f"records of advisor {first} wait, but no credential of theirs")
            body["on_behalf_of"] = token
        return body, ids

    def report_discards(self) -> int:
        """Tell the server of refused records the advisor discarded (with each record, so
        the office keeps the last copy); returns how many were reported."""
        reports = self.store.discard_reports()
        if not reports:
            return 0
        body = {"device_id": self.store.device_id(), "discards": reports}
        self.transport.report_discards(body)
        self.store.forget_discard_reports([r["id"] for r in reports])
        return len(reports)

    def pull(self, progress: Progress | None = None) -> tuple[int, int]:
        """Pull pages until ``has_more`` is false; returns (changes, pages)."""
        changes = pages = 0
        while True:
            try:
                page = self.transport.pull(
                    self.store.cursor() or "", self.pull_limit, pending=self._pending()
                )
            except ClientError as error:
                # Refused from the start too: starting over again would only loop.
                if "cursor" not in (error.errors or {}).get("query", {}) or not self.store.cursor():
                    raise
                # The server no longer reads our cursor (or pruned what it would need):
                # start over; what the new run does not send is dropped at its end, and
                # the outbox stays as it is.
                log.warning("server refused the cursor; pulling from the start")
                self.store.restart_pull()
                continue
            self.store.apply_pull_page(page["changes"], page["cursor"], last=not page["has_more"])
            if not page["has_more"]:
                self._note_lease(page)  # a whole sync went through: the lease is renewed
            changes += len(page["changes"])
            pages += 1
            if progress:
                # The server says how many of this run are still to come (an older one
                # does not: then the total is unknown).
                remaining = page.get("remaining")
                progress("pull", changes, None if remaining is None else changes + remaining)
            if not page["has_more"]:
                return changes, pages

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Push everything pending, then pull everything new. An answer saying this tablet
        was revoked is noted (and ``on_revoked`` called) before the error goes up."""
        report = SyncReport()
        try:
            report.pushed = self.push(progress)
            report.discards = self.report_discards()
            report.pulled, report.pages = self.pull(progress)
        except AuthError as error:
            if error.revoked is not None:
                self._revoked(error.revoked, error.wipe)
            raise
        self.store.settle_handover()
        self.store.set_state("last_sync_at", datetime.now(UTC).isoformat())
        return report
