"""Simulated tablets for the district load test: set up, come online together, verify.

Only the tablet's own code runs here (``sync.client.SyncClient`` over ``HttpTransport``,
each tablet with its own ``SQLiteStore`` file and device token), so the benchmark
(``bench/load.py``) and the reliability suite (``tests/reliability/test_district.py``)
drive the very same scenario. A group of tablets runs in threads of one process; the
benchmark spreads groups over processes so that the tablets' own Python does not queue
behind one interpreter lock.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport, SyncError

# A failed sync (after the transport's own retries) is tried again this often at most.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Work:
    """What each tablet does offline before it comes back: visits and household edits."""

    visits: int = 50
    edits: int = 5


@dataclass(frozen=True)
class Spec:
    """One tablet: its advisor's account and its store file."""

    number: int
    username: str
    password: str
    path: str


@dataclass
class Timings:
    """What one tablet saw: call latencies (ms), HTTP statuses, syncs that failed."""

    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    # Request sent to response head read, per push request: the server's queue and work.
    push_http_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failed_syncs: int = 0
    errors: list[str] = field(default_factory=list)

    def merge(self, other: Timings) -> None:
        """Add another tablet's figures to these."""
        self.push_ms += other.push_ms
        self.pull_ms += other.pull_ms
        self.push_http_ms += other.push_http_ms
        self.statuses.update(other.statuses)
        self.failed_syncs += other.failed_syncs
        self.errors += other.errors


@dataclass
class Outcome:
    """A tablet after its syncs: whether it settled, its checksum and what it saw."""

    number: int
    pending: int
    attention: int
    checksum: str
    timings: Timings
    started_at: float = 0.0  # when it came online (time.time())
    finished_at: float = 0.0


class TimedTransport(HttpTransport):
    """An ``HttpTransport`` that times each push and pull call, retries included (what
    the advisor waits for) and counts every HTTP status it receives."""

    def __init__(self, base_url: str, timings: Timings, *, seed: int):
        session = requests.Session()
        # Retrying is the transport's alone (as HttpTransport's own session does).
        session.mount("http://", HTTPAdapter(max_retries=0))
        session.hooks["response"].append(self._count)
        super().__init__(
            base_url, session, timeout=(10, 120), retries=8, rng=random.Random(seed).random
        )
        self._own_session = True
        self.timings = timings

    def _count(self, response: requests.Response, *args, **kwargs) -> None:
        self.timings.statuses[response.status_code] += 1
        if response.request.method == "POST" and response.request.path_url.endswith("/push"):
            self.timings.push_http_ms.append(response.elapsed.total_seconds() * 1000)

    def push(self, body, idempotency_key, pending=None):
        started = time.perf_counter()
        try:
            return super().push(body, idempotency_key, pending)
        finally:
            self.timings.push_ms.append((time.perf_counter() - started) * 1000)

    def pull(self, cursor, limit=500, pending=None):
        started = time.perf_counter()
        try:
            return super().pull(cursor, limit, pending)
        finally:
            self.timings.pull_ms.append((time.perf_counter() - started) * 1000)


def open_tablet(spec: Spec, base_url: str, timings: Timings) -> SyncClient:
    """The tablet's store and sync client (its token, if signed in, is in the store)."""
    store = SQLiteStore(spec.path)
    return SyncClient(store, TimedTransport(base_url, timings, seed=spec.number))


def close_tablet(client: SyncClient) -> None:
    """Release the tablet's connections and its store."""
    client.transport.close()
    client.store.close()


def sync_until_done(client: SyncClient, timings: Timings) -> bool:
    """One sync as the advisor starts it, tried again (as they would) if it fails."""
    for _ in range(MAX_ATTEMPTS):
        try:
            client.sync()
            return True
        except SyncError as error:
            timings.failed_syncs += 1
            timings.errors.append(f"{type(error).__name__}: {error}"[:300])
            time.sleep(1)
    return False


def visit_form(household_id: str, n: int, now: datetime) -> dict:
    """The n-th visit an advisor types in: distinct times, 7 minutes apart, in the past."""
    at = now - timedelta(days=20) + timedelta(minutes=7 * n)
    return {
        "household_id": household_id,
        "visited_at": at.isoformat(),
        "outcome": "completed",
        "living_conditions": "家中整洁，生活基本有保障",
        "income_change": "same",
        "estimated_monthly_income": "1850.00",
        "notes": "按期入户",
        "started_at": at.isoformat(),
        "ended_at": (at + timedelta(minutes=25)).isoformat(),
    }


def set_up(spec: Spec, base_url: str, work: Work) -> tuple[list[str], dict[str, str]]:
    """Sign in, pull the caseload, then (offline) save the visits and the household edits.

    Returns the saved visits' ids and the edited households' new phone numbers.
    """
    timings = Timings()
    client = open_tablet(spec, base_url, timings)
    try:
        client.login(spec.username, spec.password, device_name=f"平板{spec.number}")
        if not sync_until_done(client, timings):
            raise SystemExit(f"tablet {spec.number} could not pull its caseload: {timings.errors}")
        households = sorted(h["id"] for h in client.store.households())
        if not households:
            raise SystemExit(f"tablet {spec.number} has an empty caseload")
        now = datetime.now(UTC)
        visit_ids = [
            client.store.save_visit(visit_form(households[n % len(households)], n, now))["id"]
            for n in range(work.visits)
        ]
        edits = {}
        for n, household in enumerate(households[: work.edits]):
            phone = f"139{spec.number:04d}{n:04d}"
            client.store.update_household(household, {"phone": phone})
            edits[household] = phone
        return visit_ids, edits
    finally:
        close_tablet(client)


def come_online(spec: Spec, base_url: str, at: float, rounds: int) -> Outcome:
    """Wait until ``at`` (time.time()), then sync ``rounds`` times, one after the other."""
    timings = Timings()
    client = open_tablet(spec, base_url, timings)
    try:
        time.sleep(max(0.0, at - time.time()))
        started = time.time()
        for _ in range(rounds):
            sync_until_done(client, timings)
        finished = time.time()
        store = client.store
        return Outcome(
            number=spec.number,
            pending=store.pending_count(),
            attention=len(store.attention_items()),
            checksum=store.checksum(),
            timings=timings,
            started_at=started,
            finished_at=finished,
        )
    finally:
        close_tablet(client)


def server_view(spec: Spec, base_url: str) -> tuple[str, dict[str, str]]:
    """The server's view of the advisor's caseload: a fresh tablet's checksum after one
    full pull, and its households' phone numbers."""
    fresh = Spec(spec.number, spec.username, spec.password, spec.path + ".fresh")
    timings = Timings()
    client = open_tablet(fresh, base_url, timings)
    try:
        client.login(spec.username, spec.password, device_name="核对")
        if not sync_until_done(client, timings):
            raise SystemExit(f"a fresh tablet of {spec.username} could not pull: {timings.errors}")
        phones = {h["id"]: h["phone"] for h in client.store.households()}
        return client.store.checksum(), phones
    finally:
        close_tablet(client)
        for suffix in ("", "-wal", "-shm"):
            Path(fresh.path + suffix).unlink(missing_ok=True)


def in_threads(call: Callable, items: list, threads: int) -> list:
    """``call(item)`` for every item on a thread pool, results in the items' order."""
    with ThreadPoolExecutor(max(1, min(threads, len(items)))) as pool:
        return list(pool.map(call, items))


def burst(specs: list[Spec], base_url: str, start: float, spread: float, rounds: int) -> list:
    """Every tablet comes online at a random moment within ``spread`` seconds of ``start``
    (seeded by its number) and syncs ``rounds`` times; their outcomes."""
    offsets = {s.number: random.Random(s.number).uniform(0, spread) for s in specs}
    return in_threads(
        lambda s: come_online(s, base_url, start + offsets[s.number], rounds), specs, len(specs)
    )


def set_up_all(specs: list[Spec], base_url: str, work: Work, threads: int) -> list:
    """:func:`set_up` for a group of tablets, ``threads`` at a time."""
    return in_threads(lambda s: set_up(s, base_url, work), specs, threads)


def server_views(specs: list[Spec], base_url: str, threads: int) -> list:
    """:func:`server_view` for a group of tablets, ``threads`` at a time."""
    return in_threads(lambda s: server_view(s, base_url), specs, threads)
