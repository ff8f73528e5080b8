"""Benchmark of the console's pages at province scale: server time of the real views
(Flask test client, a signed-in supervisor) on the schedule dataset plus console data."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/console.py``, this folder comes first on sys.path and its sync.py
# would hide the ``sync`` package: the project root takes that place instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).absolute().parent.parent)

import argparse
import cProfile
import pstats
import random
import re
import secrets
import tempfile
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import event

from bench import common, console_data, database
from bench.schedule_data import SEED, build

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tanfang_bench"
TARGETS_MS = {"dashboard": 300.0, "review_queue": 150.0, "household": 100.0}
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def ensure_dataset(url: str, households: int) -> dict:
    """The loaded dataset's marker: reused when it has this size (migrated to the head
    first, so new indexes are built on it), else built; console data added if missing."""
    marker = None
    if database.database_exists(url):
        database.migrate(url)
        marker = database.read_marker(url)
    if not marker or marker.get("households") != households:
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        print(f"building {households:,} households x ~10 visits")
        marker = build(url, households, 10, today)
    if marker.get("console") != console_data.VERSION:
        print("adding the console's data")
        marker = console_data.add(url, marker)
    return marker


def make_app(url: str):
    """The real app on the bench database (plain http: the test client's cookies)."""
    import os

    from server import create_app

    os.environ.setdefault("TANFANG_INSTANCE_PATH", tempfile.mkdtemp(prefix="tanfang-bench-"))
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(16),
            "SESSION_COOKIE_SECURE": False,
        }
    )


class Supervisors:
    """A test client signed in through the console's form for each street's supervisor."""

    def __init__(self, app):
        self.app, self.clients = app, {}

    def client(self, username: str):
        if username not in self.clients:
            client = self.app.test_client()
            page = client.get("/console/sign-in").get_data(as_text=True)
            token = _TOKEN.search(page).group(1)
            data = {"username": username, "password": console_data.PASSWORD, "csrf_token": token}
            answer = client.post("/console/sign-in", data=data)
            assert answer.status_code == 302, f"sign-in of {username}: {answer.status_code}"
            self.clients[username] = client
        return self.clients[username]


def picks(url: str, seed: int, n: int) -> dict:
    """Streets (with their supervisor) and households (with a supervisor who may see
    them), chosen at random with ``seed``."""
    rng = random.Random(seed)
    with psycopg.connect(database.conninfo(url)) as conn:
        streets = conn.execute(
            "SELECT a.id, u.username FROM area a JOIN user_account u"
            " ON u.area_id = a.id AND u.role = 'supervisor' WHERE a.kind = 'street' ORDER BY a.id"
        ).fetchall()
        total = conn.execute("SELECT count(*) FROM household").fetchone()[0]
        codes = [f"BH{rng.randrange(total):010d}" for _ in range(n)]
        homes = conn.execute(
            "SELECT h.id, u.username FROM household h JOIN user_account u"
            " ON u.area_id = h.residence_street_id AND u.role = 'supervisor'"
            " WHERE h.external_id = ANY(%s)",
            (codes,),
        ).fetchall()
    rng.shuffle(homes)
    return {"streets": [rng.choice(streets) for _ in range(n)], "households": homes}


def cases(chosen: dict) -> dict:
    """Each measure: its label and, per run, (supervisor, path) to ask."""
    streets, homes = chosen["streets"], chosen["households"]
    return {
        "dashboard": ("dashboard, a street's supervisor", [(u, "/console/") for _, u in streets]),
        "review_queue": (
            "review queue, page 1",
            [(u, "/console/review") for _, u in streets],
        ),
        "review_queue_p3": (
            "review queue, page 3",
            [(u, "/console/review?page=3") for _, u in streets],
        ),
        "household": (
            "household file (一户一档)",
            [(u, f"/console/households/{h}") for h, u in homes],
        ),
    }


def measure(app, chosen: dict, repeat: int, warmup: int) -> dict:
    """p50/p95 of each case's server time: ``client.get`` to the whole answer."""
    from server.extensions import db

    signed_in = Supervisors(app)
    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    results = {}
    for key, (label, runs) in cases(chosen).items():
        queue = iter(runs)
        counts = []

        def run(queue=queue, counts=counts):
            username, path = next(queue)
            client = signed_in.client(username)
            statements.clear()
            ms, answer = common.stopwatch(lambda: client.get(path))
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
            counts.append(len(statements))
            return ms

        stats = common.measure(run, repeat, warmup)
        stats["label"] = label
        stats["statements"] = round(sum(counts[warmup:]) / repeat, 1)
        results[key] = stats
        print(f"  {label:<32} p50 {stats['p50_ms']:8.2f} ms  p95 {stats['p95_ms']:8.2f} ms"
              f"  {stats['statements']:5.1f} statements", flush=True)  # fmt: skip
    return results


def profile(app, chosen: dict, key: str, runs: int) -> None:
    """cProfile of ``runs`` requests of one case: the 30 costliest functions, cumulative."""
    signed_in = Supervisors(app)
    requests = cases(chosen)[key][1][:runs]
    for username, _ in requests:
        signed_in.client(username)
    profiler = cProfile.Profile()
    profiler.enable()
    for username, path in requests:
        signed_in.client(username).get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def explain(app, chosen: dict, key: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one request of a case sends."""
    from server.extensions import db

    signed_in = Supervisors(app)
    username, path = cases(chosen)[key][1][0]
    client = signed_in.client(username)
    with app.app_context():
        engine = db.engine
    database.explain(engine, lambda: client.get(path))


def report(results: dict) -> None:
    """Print the figures with the issue's verdicts."""
    rows = []
    for key, r in results.items():
        target = TARGETS_MS.get(key)
        verdict = "" if target is None else ("met" if r["p50_ms"] <= target else "MISSED")
        rows.append([r["label"], r["p50_ms"], r["p95_ms"], r["min_ms"], r["statements"],
                     f"{target:g}" if target else "", verdict])  # fmt: skip
    print("\nConsole pages, server time (ms)")
    common.print_table(["page", "p50", "p95", "min", "SQL", "target p50", ""], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1_500_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--label", default="", help="added to the JSON file's name")
    parser.add_argument("--profile", choices=TARGETS_MS, help="cProfile one page and stop")
    parser.add_argument("--explain", choices=TARGETS_MS, help="query plans of one page")
    args = parser.parse_args(argv)
    url = args.database_url
    database.require_scratch(url)
    marker = ensure_dataset(url, args.households)
    app = make_app(url)
    chosen = picks(url, SEED, args.repeat + args.warmup)
    if args.profile:
        return profile(app, chosen, args.profile, 10)
    if args.explain:
        return explain(app, chosen, args.explain)
    machine = common.machine_info(url)
    print(f"measuring ({args.warmup} warm-up runs, {args.repeat} timed runs each); "
          f"load average {machine['load_average']}")  # fmt: skip
    results = measure(app, chosen, args.repeat, args.warmup)
    machine["load_average_after"] = common.machine_info()["load_average"]
    report(results)
    data = {
        "benchmark": "console",
        "machine": machine,
        "dataset": marker,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "targets_p50_ms": TARGETS_MS,
        "results": results,
    }
    name = "console" + (f"-{args.label}" if args.label else "")
    print(f"\nwrote {common.write_json(name, data)}")


if __name__ == "__main__":
    main()
