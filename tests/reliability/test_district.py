"""A district's tablets at once, scaled down (issue 8 §4; the full run is bench/load.py).

Twenty advisors' tablets, each holding unsent visits and household edits, come online
within two seconds of each other against the live server, then sync twice more: directly,
and through a proxy that sheds load as a busy server would (503 / 429 with Retry-After).
Either way the server must hold every visit exactly once, every tablet must end with
exactly what a fresh tablet of its advisor pulls (the server's view of its caseload), and
the server answers no 5xx of its own but a busy SQLite's 503 (PostgreSQL: none at all).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import func, select

from bench.load_tablets import Spec, Work, burst, in_threads, server_view, set_up
from server.models import AuditEvent, DeviceMutation, Visit
from tests.factories import PASSWORD

TABLETS = 20
HOUSEHOLDS_EACH = 4
WORK = Work(visits=25, edits=3)
SPREAD_SECONDS = 2.0
ROUNDS = 3
SHED_ABOVE = 3  # sync calls in flight the shedding proxy lets through


# ------------------------------------------------------------------------- load shedding


class SheddingProxy:
    """An HTTP proxy that, like a server shedding load, refuses sync calls beyond
    ``limit`` in flight: 503 and 429 in turn, each with ``Retry-After: 1``.

    Sign-in is never shed: it is not repeatable, so a tablet does not retry it on a 503.
    """

    def __init__(self, upstream: str, limit: int):
        self.upstream, self.limit = upstream, limit
        self.in_flight = 0
        self.shed: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _admit(self, path: str) -> int | None:
        """None to forward the call, else the status to refuse it with."""
        with self._lock:
            if "/sync/" not in path or self.in_flight < self.limit:
                self.in_flight += 1
                return None
            status = (503, 429)[sum(self.shed.values()) % 2]
            self.shed[status] += 1
            return status

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass  # quiet: the test reports the counts

            def do_GET(self) -> None:
                self._relay()

            def do_POST(self) -> None:
                self._relay()

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                refused = proxy._admit(self.path)
                if refused is not None:
                    payload = json.dumps({"code": refused, "message": "busy"}).encode()
                    self.send_response(refused)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                try:
                    answer = requests.request(
                        self.command,
                        proxy.upstream + self.path,
                        data=body,
                        headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                        stream=True,
                        timeout=60,
                    )
                    content = answer.raw.read(decode_content=False)
                finally:
                    proxy._done()
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Content-Encoding", "Retry-After"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler


@pytest.fixture
def tablets(live_world, session, tmp_path) -> list[Spec]:
    """One advisor per tablet, half in each street, each with a small caseload."""
    world = live_world
    specs = []
    for n in range(TABLETS):
        street, community = (world.street_a, "A1") if n % 2 else (world.street_b, "B1")
        advisor = world.user("advisor", street)
        for _ in range(HOUSEHOLDS_EACH):
            world.household(community, advisor=advisor)
        specs.append(Spec(n, advisor.username, PASSWORD, str(tmp_path / f"tablet{n}.sqlite3")))
    session.commit()  # hold no transaction while the server works
    return specs


def _district(specs: list[Spec], base: str):
    """Set up, come online together, and pull the server's view: what each step gave."""
    prepared = in_threads(lambda s: set_up(s, base, WORK), specs, TABLETS)
    outcomes = burst(specs, base, time.time() + 0.5, SPREAD_SECONDS, ROUNDS)
    views = in_threads(lambda s: server_view(s, base), specs, TABLETS)
    statuses: Counter[int] = Counter()
    for outcome in outcomes:
        statuses.update(outcome.timings.statuses)
    return prepared, outcomes, views, statuses


def _assert_converged_exactly_once(session, prepared, outcomes, views) -> None:
    for outcome, (checksum, phones), (_, edits) in zip(outcomes, views, prepared, strict=True):
        assert outcome.pending == 0
        assert outcome.attention == 0
        assert outcome.checksum == checksum, f"tablet {outcome.number} did not converge"
        assert {h: phones[h] for h in edits} == edits

    saved = {visit for visits, _ in prepared for visit in visits}
    assert len(saved) == TABLETS * WORK.visits
    assert {str(v) for v in session.scalars(select(Visit.id))} == saved
    assert session.scalar(select(func.count()).select_from(Visit)) == len(saved)
    created = select(func.count()).where(
        AuditEvent.entity == "visit", AuditEvent.action == "sync_create"
    )
    assert session.scalar(created) == len(saved)  # each applied exactly once
    marks = select(func.count()).select_from(DeviceMutation)
    assert session.scalar(marks) == TABLETS * (WORK.visits + WORK.edits)
    session.commit()


@pytest.mark.slow
def test_a_district_comes_online_at_once(live_server, tablets, session, is_postgres):
    prepared, outcomes, views, statuses = _district(tablets, live_server)

    if is_postgres:
        assert not [code for code in statuses if code >= 500], statuses
        assert all(o.timings.failed_syncs == 0 for o in outcomes), [
            o.timings.errors for o in outcomes
        ]
    # On SQLite every transaction takes the one write lock (BEGIN IMMEDIATE), and on a busy
    # machine a request can wait out the busy timeout: that answers 503 with Retry-After
    # (never 500), the tablet backs off and retries, and nothing is lost.
    assert not [code for code in statuses if code >= 500 and code != 503], statuses
    _assert_converged_exactly_once(session, prepared, outcomes, views)


@pytest.mark.slow
def test_tablets_back_off_when_the_server_sheds_load(live_server, tablets, session, is_postgres):
    proxy = SheddingProxy(live_server, SHED_ABOVE)
    try:
        prepared, outcomes, views, statuses = _district(tablets, proxy.url)
    finally:
        proxy.close()

    print(f"\nshed: {dict(proxy.shed)}; statuses seen: {dict(statuses)}")
    assert not [code for code in statuses if code >= 500 and code != 503], statuses
    assert proxy.shed[503] >= 5 and proxy.shed[429] >= 5, proxy.shed
    assert statuses[503] >= 1 and statuses[429] >= 1, statuses  # met during the burst too
    _assert_converged_exactly_once(session, prepared, outcomes, views)
