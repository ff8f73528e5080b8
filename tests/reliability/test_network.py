"""Sync over a faulty network: resets, lost responses, stalls and proxy 502s.

A small TCP proxy stands between the tablets and the live server. One connection carries
one request (``Connection: close`` is forced both ways), and for a seeded ~30% of requests
the proxy misbehaves in one of four ways. Three advisors' tablets push 2,000 visits through
it while a second tablet of the first advisor keeps pulling; afterwards the server must hold
every visit exactly once and tablets of the same advisor must hold the same records.
"""

from __future__ import annotations

import random
import select as io_select
import socket
import struct
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from server.models import AuditEvent, DeviceMutation, Visit
from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport, SyncError
from tests.factories import PASSWORD, nth_instant, visit_form

SEED = 20261123
FAULT_RATE = 0.3
STALL_SECONDS = 2.0
FAULTS = ("reset", "drop_response", "stall", "bad_gateway")
BAD_GATEWAY_BODY = b'{"code":502,"status":"Bad Gateway","message":"upstream hiccup","errors":{}}'
BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(BAD_GATEWAY_BODY), BAD_GATEWAY_BODY)
)
VISITS_PER_TABLET = (667, 667, 666)
HOUSEHOLDS_PER_ADVISOR = 3
MAX_ROUNDS = 60


# ------------------------------------------------------------------------------- proxy


def _read_head(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """Bytes up to the blank line ending the head, and what came after; None on EOF first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None if not data else (data, b"")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _force_close(head: bytes) -> bytes:
    """The head with its Connection/Keep-Alive headers replaced by ``Connection: close``."""
    lines = head.split(b"\r\n")
    kept = [
        line
        for line in lines[1:]
        if line.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive")
    ]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"])


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN: the peer sees 'connection reset'."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _peer_gone(sock: socket.socket) -> bool:
    """True when the tablet has closed its end (it timed out while we stalled)."""
    readable, _, _ = io_select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class FaultyProxy:
    """A thread-per-connection HTTP/1.1 proxy on 127.0.0.1 that breaks some requests.

    ``faults`` are the kinds drawn from (just one, with ``rate`` 1.0, makes every request
    meet it). ``faulty`` switches faults on and off; ``counts`` says what was done (per
    fault kind, ``push:<kind>`` for pushes, ``abandoned`` for stalled requests whose client
    had given up by the time the answer came, and ``ok``).
    """

    def __init__(self, upstream: str, *, seed: int, rate: float = FAULT_RATE, faults=FAULTS):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.rate = rate
        self.faults = tuple(faults)
        self.faulty = False
        self.counts: Counter[str] = Counter()
        self._seed = seed
        self._rngs: dict[str, random.Random] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._handlers: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="proxy-accept")
        self._acceptor.start()

    def close(self) -> None:
        """Stop accepting, let every open exchange finish, release the sockets."""
        self._stop.set()
        self._acceptor.join(timeout=10)
        self._listener.close()
        for thread in self._handlers:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in self._handlers), "a proxy exchange hung"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), name="proxy-conn")
            self._handlers.append(thread)
            thread.start()

    def _decide(self, stream: str) -> str | None:
        # Pushes and pulls draw from their own streams, so the n-th push meets the same fate
        # whatever the threads' interleaving; both draws always happen, faulty or not.
        with self._lock:
            rng = self._rngs.setdefault(stream, random.Random(f"{self._seed}:{stream}"))
            roll, kind = rng.random(), rng.choice(self.faults)
            return kind if self.faulty and roll < self.rate else None

    def _count(self, *keys: str) -> None:
        with self._lock:
            self.counts.update(keys)

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(30)
        try:
            with client:
                self._exchange(client)
        except OSError:
            pass  # the tablet gave up on this connection (its own timeout): nothing to do

    def _exchange(self, client: socket.socket) -> None:
        got = _read_head(client)
        if got is None:
            return  # opened and closed without a request
        head, body = got
        while len(body) < _content_length(head):
            chunk = client.recv(65536)
            if not chunk:
                return
            body += chunk
        is_push = b"/sync/push" in head.split(b"\r\n", 1)[0]
        kind = self._decide("push" if is_push else "other")
        if kind:
            self._count(kind, *([f"push:{kind}"] if is_push else []))
        if kind == "reset":
            _reset(client)
            return
        if kind == "bad_gateway":
            client.sendall(BAD_GATEWAY)
            return
        if kind == "stall":
            time.sleep(STALL_SECONDS)
        answer = self._forward(_force_close(head) + b"\r\n\r\n" + body)
        if kind == "drop_response":
            return  # the server did the work; the tablet never hears of it
        if _peer_gone(client):
            self._count("abandoned")
            return
        answer_head, _, answer_body = answer.partition(b"\r\n\r\n")
        try:
            client.sendall(_force_close(answer_head) + b"\r\n\r\n" + answer_body)
        except OSError:
            self._count("abandoned")
            return
        self._count("ok")

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=60) as upstream:
            upstream.sendall(request)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def proxy(live_server):
    proxy = FaultyProxy(live_server, seed=SEED)
    yield proxy
    proxy.close()


# ------------------------------------------------------------------------------ tablets


class Tablet:
    """One tablet: its own store file, HTTP session and sync client, via the proxy."""

    def __init__(self, path, base: str, *, read_timeout: float, retries: int, seed: int):
        self.store = SQLiteStore(path)
        self.session = requests.Session()
        self.transport = HttpTransport(
            base,
            self.session,
            timeout=(2, read_timeout),
            retries=retries,
            backoff_base=0.05,
            sleep=lambda seconds: time.sleep(min(seconds, 0.05)),
            rng=random.Random(seed).random,
        )
        self.client = SyncClient(self.store, self.transport, batch=25, pull_limit=100)
        self.failed_syncs = 0

    def sync(self) -> bool:
        """One sync; a failure that survived the transport's retries is counted, not fatal."""
        try:
            self.client.sync()
        except SyncError:
            self.failed_syncs += 1
            return False
        return True

    def close(self) -> None:
        self.transport.close()
        self.session.close()
        self.store.close()


def _field_work(tablet: Tablet, household_ids: list[str], visits: int, first: int) -> list[str]:
    """Pull the caseload, then save visits in three rounds with a sync after each, and sync
    until the outbox is empty. Returns the ids of the visits saved."""
    for _ in range(MAX_ROUNDS):
        if tablet.sync() and len(tablet.store.households()) == len(household_ids):
            break
    saved: list[str] = []
    for part in range(3):
        for n in range(first + part * visits // 3, first + (part + 1) * visits // 3):
            household = household_ids[n % len(household_ids)]
            saved.append(tablet.store.save_visit(visit_form(household, when=nth_instant(n)))["id"])
        tablet.sync()
    for _ in range(MAX_ROUNDS):
        if tablet.sync() and tablet.store.pending_count() == 0:
            break
    return saved


def _keep_pulling(tablet: Tablet, done: threading.Event) -> int:
    """A second tablet of the same advisor, syncing while the others push; returns rounds."""
    rounds = 0
    while not done.is_set() and rounds < 200:
        tablet.sync()
        rounds += 1
        time.sleep(0.1)
    return rounds


@pytest.mark.slow
def test_two_thousand_visits_survive_a_faulty_network(live_world, session, proxy, tmp_path):
    world = live_world
    advisors = [world.adv_a, world.adv_b, world.user("advisor", world.street_a)]
    communities = ["A1", "B1", "A2"]
    caseloads = [
        [str(world.household(c, advisor=a).id) for _ in range(HOUSEHOLDS_PER_ADVISOR)]
        for a, c in zip(advisors, communities, strict=True)
    ]
    session.commit()  # hold no transaction while the server works
    # Tablets 0 and 3 time out before a stall ends (the stalled request still reaches the
    # server afterwards, racing the retry); the others wait it out. Tablet 2 never retries
    # in the transport, so its syncs fail half-way and the next one must pick up the pieces.
    settings = [(1.5, 5), (5.0, 5), (10.0, 0), (1.5, 3)]
    tablets = [
        Tablet(tmp_path / f"t{i}.sqlite3", proxy.url, read_timeout=t, retries=r, seed=SEED + i)
        for i, (t, r) in enumerate(settings)
    ]
    try:
        for tablet, advisor in zip(tablets, [*advisors, advisors[0]], strict=True):
            tablet.client.login(advisor.username, PASSWORD)  # signing in is not retried
        proxy.faulty = True
        done = threading.Event()
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            puller = pool.submit(_keep_pulling, tablets[3], done)
            firsts = [sum(VISITS_PER_TABLET[:i]) for i in range(3)]
            work = [
                pool.submit(_field_work, tablets[i], caseloads[i], VISITS_PER_TABLET[i], firsts[i])
                for i in range(3)
            ]
            saved = [w.result(timeout=240) for w in work]
            done.set()
            pulls = puller.result(timeout=60)
        elapsed = time.monotonic() - started

        proxy.faulty = False
        for tablet in tablets:
            assert tablet.sync(), "a clean sync must succeed"
        print(
            f"\nfaults: {dict(proxy.counts)}; failed syncs: "
            f"{[t.failed_syncs for t in tablets]}; second tablet syncs: {pulls}; "
            f"faulty phase {elapsed:.1f} s"
        )

        for tablet in tablets:
            assert tablet.store.pending_count() == 0
            assert tablet.store.attention_items() == []
        assert tablets[0].store.checksum() == tablets[3].store.checksum()
        for tablet, caseload in zip(tablets, [*caseloads, caseloads[0]], strict=True):
            for household in caseload:
                assert len(tablet.store.visits_for(household)) == 12

        expected = {v for ids in saved for v in ids}
        assert len(expected) == sum(VISITS_PER_TABLET) == 2000
        server_ids = session.scalars(select(Visit.id)).all()
        assert len(server_ids) == 2000
        assert {str(v) for v in server_ids} == expected
        created = select(func.count()).where(
            AuditEvent.entity == "visit", AuditEvent.action == "sync_create"
        )
        assert session.scalar(created) == 2000  # each applied exactly once
        assert session.scalar(select(func.count()).select_from(DeviceMutation)) == 2000
        session.commit()

        faults = sum(proxy.counts[kind] for kind in FAULTS)
        assert faults >= 35, proxy.counts
        for kind in FAULTS:
            assert proxy.counts[kind] >= 3, proxy.counts
        for kind in FAULTS:  # the n-th push's fate is fixed by the seed
            assert proxy.counts[f"push:{kind}"] >= 3, proxy.counts
        assert proxy.counts["abandoned"] >= 1, proxy.counts  # late duplicates raced retries
        assert tablets[2].failed_syncs >= 3
    finally:
        for tablet in tablets:
            tablet.close()
