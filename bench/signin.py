"""Sign-in under load: N parallel correct sign-ins (scrypt) and a read polled beside them.

Serves the app with werkzeug (threaded) on 127.0.0.1 on an SQLite file (default) or a
PostgreSQL scratch database (``--database-url``, name must contain "bench"), signs in N
users at once and, all the while, times ``GET /api/v1/households`` with a token issued
beforehand. Prints a table and writes ``bench/results/signin-<db>.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine_info, print_table, summarise, write_json  # noqa: E402
from bench.database import migrate, recreate_database  # noqa: E402

PASSWORD = "bench sign-in password"


def _app(url: str):
    from server import create_app

    os.environ.setdefault("TANFANG_INSTANCE_PATH", tempfile.mkdtemp(prefix="tanfang-bench-"))
    # Production hashing (scrypt) is what holds the lock; no throttling gets in the way.
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(16),
            "PASSWORD_METHOD": "scrypt",
            "LOGIN_MAX_FAILURES_PER_IP": 10**6,
        }
    )


def _users(app, count: int) -> list[str]:
    from server.extensions import db
    from server.services.auth import users

    names = [f"signin{i:03d}" for i in range(count)]
    with app.app_context():
        for name in names:
            users.create_user(
                db.session,
                actor=None,
                username=name,
                password=PASSWORD,
                role="admin",
                area=None,
                display_name=name,
                now=datetime.now(UTC),
                password_method="scrypt",
            )
        db.session.commit()  # services flush; the caller ends the unit of work
        db.session.remove()
    return names


def _sign_in(base: str, username: str) -> float:
    started = time.perf_counter()
    response = requests.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD, "device_id": f"bench-{username}"},
        timeout=120,
    )
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def _poll(base: str, token: str, stop: threading.Event, times: list[float]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        started = time.perf_counter()
        requests.get(f"{base}/api/v1/households", headers=headers, timeout=120).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)


def run(url: str, parallel: int) -> dict:
    """Serve, sign ``parallel`` users in at once with a read beside them; the timings."""
    app = _app(url)
    names = _users(app, parallel + 1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        token = requests.post(
            f"{base}/api/v1/auth/token",
            json={"username": names[-1], "password": PASSWORD, "device_id": "reader"},
            timeout=60,
        ).json()["token"]
        idle: list[float] = []
        for _ in range(20):
            _poll_once(base, token, idle)
        busy: list[float] = []
        stop = threading.Event()
        reader = threading.Thread(target=_poll, args=(base, token, stop, busy))
        reader.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            signins = list(pool.map(lambda n: _sign_in(base, n), names[:parallel]))
        wall = (time.perf_counter() - started) * 1000
        stop.set()
        reader.join()
    finally:
        server.shutdown()
    return {
        "parallel": parallel,
        "wall_ms": round(wall, 1),
        "signin": summarise(signins),
        "read_idle": summarise(idle),
        "read_during": summarise(busy),
    }


def _poll_once(base: str, token: str, times: list[float]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    requests.get(f"{base}/api/v1/households", headers=headers, timeout=60).raise_for_status()
    times.append((time.perf_counter() - started) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL scratch database (name *bench*)")
    parser.add_argument("--parallel", type=int, default=32)
    parser.add_argument("--label", default="", help="suffix of the JSON file (e.g. before)")
    args = parser.parse_args()
    if args.database_url:
        recreate_database(args.database_url)
        url, kind = args.database_url, "postgresql"
    else:
        url, kind = f"sqlite:///{tempfile.mkdtemp(prefix='tanfang-bench-')}/signin.db", "sqlite"
    migrate(url)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    result = run(url, args.parallel)
    print_table(
        ["measure", "p50 ms", "p95 ms", "max ms", "runs"],
        [
            [
                name,
                result[key]["p50_ms"],
                result[key]["p95_ms"],
                result[key]["max_ms"],
                result[key]["runs"],
            ]
            for name, key in (
                ("sign-in", "signin"),
                ("read, idle", "read_idle"),
                ("read, during sign-ins", "read_during"),
            )
        ],
    )
    print(f"{args.parallel} parallel sign-ins: {result['wall_ms']:,.0f} ms wall ({kind})")
    suffix = f"-{args.label}" if args.label else ""
    path = write_json(
        f"signin-{kind}{suffix}",
        {"machine": machine_info(args.database_url), "database": kind, **result},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
