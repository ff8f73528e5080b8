"""HttpTransport (sync/transport.py) against a scripted stub server: retries with full
jitter, Retry-After, timeouts, gzip and redaction, with a recording ``sleep`` so nothing
actually waits. The contract cases against the real app are in tests/e2e."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sync.transport import (
    AuthError,
    ClientError,
    HttpTransport,
    RequestInfo,
    ServerError,
    SyncError,
    TransportError,
    backoff_delay,
    parse_retry_after,
)

# ============================================================================ stub server


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


Action = Callable[[BaseHTTPRequestHandler], None]


def reply(status: int = 200, body: dict | bytes | None = None, headers: dict | None = None):
    """An action answering ``status`` with a JSON (or raw) body."""

    def act(h: BaseHTTPRequestHandler) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body or {"ok": True}).encode()
        h.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return act


def truncated(h: BaseHTTPRequestHandler) -> None:
    """Promise 100 bytes, send 10, hang up."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.wfile.write(b'{"ok": tru')


def hang_up(h: BaseHTTPRequestHandler) -> None:
    """Read the request, then reset the connection without a word."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.close_connection = True


class Stub:
    """A scripted HTTP server: each request takes the next action (default: 200 ``{ok}``)."""

    def __init__(self, *actions: Action, port: int = 0):
        self.script = list(actions)
        self.seen: list[Seen] = []
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                stub.seen.append(Seen(self.command, self.path, dict(self.headers), raw))
                action = stub.script.pop(0) if stub.script else reply()
                try:
                    action(self)
                except OSError:  # the client gave up on a stalled answer
                    self.close_connection = True

            do_GET = do_POST = _any

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stall(self, seconds: float) -> Action:
        """An action that answers only after ``seconds`` (or when the stub closes)."""

        def act(h: BaseHTTPRequestHandler) -> None:
            self.release.wait(seconds)
            reply()(h)

        return act

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def stubs() -> Iterator[list[Stub]]:
    made: list[Stub] = []
    yield made
    for stub in made:
        stub.close()


@pytest.fixture
def stub(stubs) -> Callable[..., Stub]:
    def make(*actions: Action, port: int = 0) -> Stub:
        stubs.append(Stub(*actions, port=port))
        return stubs[-1]

    return make


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def http(sleeps) -> Iterator[Callable[..., HttpTransport]]:
    """HttpTransport with small timeouts and a ``sleep`` that only records."""
    made: list[HttpTransport] = []

    def make(base_url: str, **kw) -> HttpTransport:
        options = {"timeout": (1, 2), "sleep": sleeps.append, "rng": lambda: 1.0, **kw}
        made.append(HttpTransport(base_url, **options))
        return made[-1]

    yield make
    for transport in made:
        transport.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_refused_is_retried_even_for_a_post(stub, http, method):
    port = _free_port()
    slept: list[float] = []

    def sleep_then_start(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            stub(port=port)

    transport = http(f"http://127.0.0.1:{port}", sleep=sleep_then_start)
    # Refused means nothing was sent, so even a non-idempotent call may be repeated.
    assert transport.request(method, "/api/v1/x", json={"a": 1}, idempotent=False) == {"ok": True}
    assert len(slept) == 1


def test_a_body_cut_short_is_retried(stub, http, sleeps):
    server = stub(truncated)
    assert http(server.url).request("GET", "/api/v1/x") == {"ok": True}
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_garbled_json_in_a_2xx_is_retried_when_idempotent(stub, http):
    server = stub(reply(200, b"<html>portal login</html>"))
    assert http(server.url).request("GET", "/api/v1/x") == {"ok": True}


def test_garbled_json_is_a_transport_error_when_not_idempotent(stub, http, sleeps):
    server = stub(reply(201, b'{"token": '))
    with pytest.raises(TransportError) as caught:
        http(server.url).request("POST", "/api/v1/x", json={})
    assert caught.value.status is None and caught.value.response is not None
    assert len(server.seen) == 1 and sleeps == []


def test_503_with_retry_after_waits_at_least_that_long(stub, http, sleeps):
    server = stub(reply(503, headers={"Retry-After": "2"}))
    assert http(server.url, rng=lambda: 0.0).request("GET", "/api/v1/x") == {"ok": True}
    assert sleeps == [2.0]


def test_429_with_an_http_date_retry_after_is_honoured(stub, http, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=5)
    server = stub(reply(429, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    transport = http(server.url, rng=lambda: 0.0)
    # A refused sign-in was not applied: even the non-idempotent login may repeat.
    assert transport.request("POST", "/api/v1/auth/token", json={}, idempotent=False) == {
        "ok": True
    }
    assert len(sleeps) == 1 and 3 <= sleeps[0] <= 5


def test_500_five_times_then_success(stub, http, sleeps):
    server = stub(*[reply(500)] * 5)
    assert http(server.url, retries=6).request("GET", "/api/v1/x") == {"ok": True}
    assert len(server.seen) == 6
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]  # rng() == 1: the top of each jitter window


def test_retries_exhausted_raise_a_server_error_carrying_the_last_response(stub, http, sleeps):
    last = {"code": 502, "status": "Bad Gateway", "message": "the last one", "errors": {}}
    server = stub(*[reply(503)] * 3, reply(502, last))
    with pytest.raises(ServerError) as caught:
        http(server.url, retries=3).request("GET", "/api/v1/x")
    error = caught.value
    assert error.status == 502 and error.response.status_code == 502
    assert error.body == last and error.message == "the last one"
    assert error.attempts == 4 and "after 4 attempts" in str(error)
    assert len(sleeps) == 3 and error.retryable


def test_a_non_idempotent_post_is_not_retried_after_a_reset(stub, http, sleeps):
    server = stub(hang_up)
    with pytest.raises(TransportError) as caught:
        http(server.url).request("POST", "/api/v1/auth/token", json={"password": "pw"})
    assert len(server.seen) == 1 and sleeps == []
    assert not caught.value.unsent and caught.value.cause is not None


def test_an_idempotent_post_is_retried_after_a_reset(stub, http, sleeps):
    server = stub(hang_up)
    transport = http(server.url)
    assert transport.push({"mutations": []}, "key-1") == {"ok": True}
    assert len(server.seen) == 2 and len(sleeps) == 1
    assert server.seen[0].headers["Idempotency-Key"] == server.seen[1].headers["Idempotency-Key"]


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthError), (408, ClientError), (500, ServerError), (503, ServerError)],
)
def test_login_is_not_retried_after_an_answer_other_than_429(stub, http, sleeps, status, error):
    server = stub(reply(status), reply(201, {"token": "t"}))
    transport = http(server.url)
    with pytest.raises(error):
        transport.login("u", "pw", "d", "n", "v")
    assert len(server.seen) == 1 and sleeps == []
    assert not transport.authenticated


def test_a_read_timeout_is_retried(stub, http, sleeps):
    server = stub()
    server.script.append(server.stall(5))
    transport = http(server.url, timeout=(1, 0.2))
    assert transport.request("GET", "/api/v1/x") == {"ok": True}
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_retry_after_over_the_cap_gives_up_at_once(stub, http, sleeps):
    server = stub(reply(503, headers={"Retry-After": "900"}))
    with pytest.raises(ServerError) as caught:
        http(server.url).request("GET", "/api/v1/x")
    assert caught.value.retry_after == 900 and sleeps == []


def test_jitter_stays_within_zero_and_the_cap(stub, http, sleeps):
    server = stub(*[reply(503)] * 8)
    http(server.url, retries=8, backoff_cap=3, rng=lambda: 1.0).request("GET", "/api/v1/x")
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    draws = iter([0.0, 0.999, 0.5] * 100)
    for attempt in range(100):
        assert 0.0 <= backoff_delay(attempt, 0.5, 30, lambda: next(draws)) <= 30


def test_timeouts_go_with_every_call(stub):
    seen: list = []

    class Session(requests.Session):
        def send(self, request, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().send(request, **kwargs)

    server = stub()
    with Session() as session:
        transport = HttpTransport(server.url, session, timeout=(1.5, 7))
        transport.request("GET", "/api/v1/x")
        transport.request("POST", "/api/v1/y", json={})
    assert seen == [(1.5, 7), (1.5, 7)]


def test_bodies_over_the_threshold_go_gzipped_and_gzip_answers_are_read(stub, http):
    answer = gzip.compress(json.dumps({"ok": "压缩"}).encode())
    server = stub(reply(200), reply(200, answer, {"Content-Encoding": "gzip"}))
    transport = http(server.url, gzip_min_bytes=100)
    transport.request("POST", "/api/v1/x", json={"n": 1})
    assert transport.request("POST", "/api/v1/x", json={"notes": "很长" * 100}) == {"ok": "压缩"}
    small, large = server.seen
    assert "Content-Encoding" not in small.headers and json.loads(small.body) == {"n": 1}
    assert large.headers["Content-Encoding"] == "gzip"
    assert json.loads(large.body) == {"notes": "很长" * 100}
    assert "gzip" in large.headers["Accept-Encoding"]


def test_pull_and_push_send_the_pending_headers_and_the_key(stub, http):
    server = stub()
    transport = http(server.url)
    transport.pull("abc", 200, pending=(3, "2026-11-23T01:00:00+00:00"))
    transport.push({"mutations": []}, "k-9", pending=(0, None))
    pull, push = server.seen
    assert pull.path == "/api/v1/sync/pull?cursor=abc&limit=200"
    assert pull.headers["X-Pending-Count"] == "3"
    assert pull.headers["X-Oldest-Pending-At"] == "2026-11-23T01:00:00+00:00"
    assert push.headers["Idempotency-Key"] == "k-9"
    assert push.headers["X-Pending-Count"] == "0" and "X-Oldest-Pending-At" not in push.headers


def test_the_token_never_reaches_errors_or_logs(stub, http, caplog):
    token = "tok_" + "S3cr3t" * 7
    server = stub(
        reply(201, {"token": token, "user": {}}),
        reply(401, {"code": 401, "status": "Unauthorized", "message": "no", "errors": {}}),
        hang_up,
        *[reply(503)] * 3,
    )
    transport = http(server.url, retries=2)
    caught: list[SyncError] = []
    with caplog.at_level(logging.DEBUG):
        transport.login("advisor1", "pa55word-xyz", "d", "n", "v")
        assert server.seen[0].headers.get("Authorization") is None
        for call in (
            lambda: transport.request("GET", "/api/v1/a"),
            lambda: transport.request("POST", "/api/v1/b", json={}),
            lambda: transport.request("GET", "/api/v1/c"),
        ):
            with pytest.raises(SyncError) as error:
                call()
            caught.append(error.value)
    assert server.seen[1].headers["Authorization"] == f"Bearer {token}"
    assert [type(e) for e in caught] == [AuthError, TransportError, ServerError]
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for error in caught:
        text = str(error) + repr(error) + str(error.request) + repr(error.request)
        assert token not in text and "pa55word" not in text
        assert error.request.headers["Authorization"] == "Bearer ***"
    assert "retry" in caplog.text  # the retries were logged ...
    assert token not in logged and "pa55word" not in logged  # ... without the secrets


# ============================================================================ pure helpers


def test_retry_after_parses_seconds_and_http_dates():
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Mon, 23 Nov 2026 02:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 23 Nov 2026 01:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_request_info_redacts_the_authorization_header():
    info = RequestInfo.build("get", "http://h/x", {"Authorization": "Bearer abc", "A": "b"})
    assert info.headers == {"Authorization": "Bearer ***", "A": "b"}
    assert str(info) == "GET http://h/x"
