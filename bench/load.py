"""Load test: a district's tablets come online at once against a real server (issue 8 §4).

    python bench/load.py [--tablets 200] [--households 100] [--visits 50] [--edits 5]
                         [--spread 10] [--rounds 3] [--workers 3] [--processes 4]

``tanfang serve`` (gunicorn) runs on a PostgreSQL scratch database (its name must contain
"bench"), copied for each run from a template seeded once through the services
(:mod:`bench.load_data`). Every tablet (:mod:`bench.load_tablets`: ``SyncClient`` over
``HttpTransport``, its own SQLite store and device token) signs in as its own advisor,
pulls its caseload, and offline saves ``--visits`` visits and ``--edits`` household edits.
Then all of them come online at random moments within ``--spread`` seconds and sync
``--rounds`` times. Reported: push and pull latency, requests/s, 5xx and 429 counts, the
server's CPU; checked: every visit stored exactly once, every tablet converged.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/load.py``, this folder would come first on sys.path and hide the
# ``sync`` package behind bench/sync.py: the project root takes its place.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

from bench import common, database, load_data, load_probe
from bench.load_tablets import Spec, Timings, Work, burst, server_views, set_up_all
from bench.sync_servers import tanfang_server

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tanfang_loadbench"
TARGETS = {"p95_push_ms": 2000.0, "server_errors": 0}
SETUP_THREADS = 8  # per process, while tablets sign in and pull (not measured)


def groups(specs: list[Spec], n: int) -> list[list[Spec]]:
    """The tablets dealt round-robin into ``n`` groups (one per client process)."""
    return [specs[i::n] for i in range(n) if specs[i::n]]


def _each(pool: ProcessPoolExecutor, call, parts: list[list[Spec]], *args) -> list:
    """``call(part, *args)`` in every client process at once; the results in tablet order."""
    futures = [pool.submit(call, part, *args) for part in parts]
    return [item for future in futures for item in future.result()]


def run(args, base: str, workdir: Path) -> dict:
    """The three phases (set up, burst, server's view) over a pool of client processes;
    every list in the result is in the same tablet order."""
    specs = [
        Spec(n, load_data.username(n), load_data.PASSWORD, str(workdir / f"tablet{n}.sqlite3"))
        for n in range(args.tablets)
    ]
    work = Work(visits=args.visits, edits=args.edits)
    parts = groups(specs, args.processes)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(parts), mp_context=context) as pool:
        started = time.perf_counter()
        prepared = _each(pool, set_up_all, parts, base, work, SETUP_THREADS)
        setup_s = time.perf_counter() - started
        print(f"  {len(specs)} tablets signed in, pulled and worked offline in {setup_s:.1f} s")

        start = time.time() + 3  # every process's threads are waiting by then
        meter = load_probe.CpuMeter(args.database_name)
        time.sleep(max(0.0, start - time.time()))
        meter.start()
        outcomes = _each(pool, burst, parts, base, start, args.spread, args.rounds)
        cpu = meter.stop()
        wall = max(o.finished_at for o in outcomes) - start
        print(f"  burst over in {wall:.1f} s")

        views = _each(pool, server_views, parts, base, SETUP_THREADS)
    return {
        "setup_s": round(setup_s, 1),
        "wall_s": round(wall, 2),
        **cpu,
        "_outcomes": outcomes,
        "_prepared": prepared,
        "_views": views,
    }


def check(run_data: dict, url: str) -> dict:
    """Exactly once and convergence, from the tablets, fresh tablets and the database."""
    outcomes, prepared, views = run_data["_outcomes"], run_data["_prepared"], run_data["_views"]
    saved = {v for visits, _ in prepared for v in visits}
    held = load_probe.stored(url)
    diverged = [
        o.number
        for o, (checksum, phones), (_, edits) in zip(outcomes, views, prepared, strict=True)
        if o.checksum != checksum
        or o.pending
        or o.attention
        or any(phones.get(h) != p for h, p in edits.items())
    ]
    return {
        "visits_saved": len(saved),
        "visits_stored": held["visits"],
        "visits_distinct": held["distinct"],
        "audit_sync_create": held["audit_sync_create"],
        "missing": len(saved - held["ids"]),
        "unexpected": len(held["ids"] - saved),
        "exactly_once": held["ids"] == saved
        and held["visits"] == held["audit_sync_create"] == len(saved),
        "diverged_tablets": diverged,
        "converged": not diverged,
    }


def figures(run_data: dict) -> dict:
    """Latency, request rate and status counts over the burst."""
    total = Timings()
    for outcome in run_data["_outcomes"]:
        total.merge(outcome.timings)
    requests_made = sum(total.statuses.values())
    return {
        "push": common.summarise(total.push_ms) if total.push_ms else None,
        "pull": common.summarise(total.pull_ms) if total.pull_ms else None,
        "push_http": common.summarise(total.push_http_ms) if total.push_http_ms else None,
        "requests": requests_made,
        "requests_per_s": round(requests_made / run_data["wall_s"], 1),
        "statuses": {str(k): v for k, v in sorted(total.statuses.items())},
        "server_errors": sum(v for k, v in total.statuses.items() if k >= 500),
        "throttled_429": total.statuses.get(429, 0),
        "failed_syncs": total.failed_syncs,
        "errors": total.errors[:20],
        "server_cpu_share_of_one_core": round(run_data["server_cpu_s"] / run_data["wall_s"], 2),
    }


def report(args, f: dict, c: dict, r: dict) -> list[str]:
    """Print the table and the verdicts; return the verdicts."""
    push, pull, http = f["push"], f["pull"], f["push_http"]
    print(
        f"\n{args.tablets} tablets, {args.visits} visits + {args.edits} edits each, "
        f"online within {args.spread:g} s, {args.rounds} syncs, {args.workers} gunicorn workers"
    )
    common.print_table(
        ["measure", "p50", "p95", "max", "calls"],
        [
            ["push latency (ms)", push["p50_ms"], push["p95_ms"], push["max_ms"], push["runs"]],
            [
                "  push request to answer head (ms)",
                http["p50_ms"],
                http["p95_ms"],
                http["max_ms"],
                http["runs"],
            ],
            [
                "pull latency (ms, a page)",
                pull["p50_ms"],
                pull["p95_ms"],
                pull["max_ms"],
                pull["runs"],
            ],
        ],
    )
    common.print_table(
        ["figure", "value"],
        [
            ["burst wall time (s)", r["wall_s"]],
            ["requests", f["requests"]],
            ["requests/s", f["requests_per_s"]],
            ["5xx answers", f["server_errors"]],
            ["429 answers", f["throttled_429"]],
            ["syncs failed (tried again)", f["failed_syncs"]],
            ["server CPU (s, gunicorn master + workers)", r["server_cpu_s"]],
            ["server CPU (cores busy on average)", f["server_cpu_share_of_one_core"]],
            ["PostgreSQL CPU (s, this database's backends)", r["database_cpu_s"]],
            ["tablets' CPU (s, client processes)", r["client_cpu_s"]],
            ["machine busy (share of all cores)", r["machine_busy_share"]],
            [
                "visits saved / stored / distinct",
                f"{c['visits_saved']} / {c['visits_stored']} / {c['visits_distinct']}",
            ],
            ["tablets diverged", len(c["diverged_tablets"])],
        ],
    )
    verdicts = [
        _verdict("every visit stored exactly once", c["exactly_once"]),
        _verdict("every tablet converged", c["converged"]),
        _verdict(f"{f['server_errors']} x 5xx == 0", f["server_errors"] == 0),
        _verdict(
            f"p95 push {push['p95_ms']:.0f} ms <= 2000 ms", push["p95_ms"] <= TARGETS["p95_push_ms"]
        ),
    ]
    print("\n" + "\n".join(verdicts))
    return verdicts


def _verdict(text: str, met: bool) -> str:
    return f"{'met   ' if met else 'MISSED'} {text}"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tablets", type=int, default=200)
    parser.add_argument("--households", type=int, default=100, help="caseload per advisor")
    parser.add_argument("--visits", type=int, default=50, help="unsent visits per tablet")
    parser.add_argument("--edits", type=int, default=5, help="household edits per tablet")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds to come online")
    parser.add_argument("--rounds", type=int, default=3, help="syncs per tablet")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn (sync) workers")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the run's database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    url = args.database_url
    args.database_name = database.require_scratch(url)
    workdir = Path(tempfile.mkdtemp(prefix="tanfang-loadbench-"))
    os.environ["TANFANG_INSTANCE_PATH"] = str(workdir / "instance")
    try:
        print(f"preparing {url} (work files in {workdir})", flush=True)
        seeded = load_data.prepare(
            url, advisors=args.tablets, households=args.households, now=datetime.now(UTC)
        )
        machine = common.machine_info(url)
        base, server = tanfang_server(url, args.workers, workdir)
        with server:
            r = run(args, base, workdir)
        machine["load_average_after"] = common.machine_info()["load_average"]
        c, f = check(r, url), figures(r)
        verdicts = report(args, f, c, r)
        data = {
            "benchmark": "load",
            "machine": machine,
            "date_utc": machine["date_utc"],
            "settings": {**vars(args), "worker_class": "sync", "seeded": seeded},
            "targets": TARGETS,
            "results": {**{k: v for k, v in r.items() if not k.startswith("_")}, **f, **c},
            "verdicts": verdicts,
        }
        name = f"load-{datetime.now(UTC):%Y-%m-%d-%H%M}-{args.tablets}t-w{args.workers}"
        print(f"\nwrote {common.write_json(name, data)}")
    finally:
        if not args.keep:
            database.drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
