"""Benchmark of sync: Tanfang push vs Kinto 26 vs raw executemany, and pulls (DESIGN §5).

    python bench/sync.py [--sizes 2000,20000] [--skip-kinto] [--batches 500,1000]

Everything runs on this machine against one PostgreSQL server: Tanfang under gunicorn
(``tanfang serve``), Kinto 26 under its own ``kinto start`` from a separate virtualenv
(``--kinto-venv``, by default the git-ignored ``bench/.kinto-venv``; Kinto never enters
Tanfang's environment), and psycopg's executemany straight into the ``visit`` table. The
same visit records go to all three. The databases ``tanfang_syncbench`` and
``kinto_bench`` are recreated for the run and dropped after it (``--keep`` keeps them).

This module runs the benchmark and reports; the dataset is :mod:`bench.sync_data`, the
servers :mod:`bench.sync_servers` and the timed runs :mod:`bench.sync_measure`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/sync.py``, this file's folder comes first on sys.path and the file's
# own name would hide the ``sync`` package: the project root takes that place instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import os
import shutil
import tempfile
from datetime import UTC, date, datetime

import psycopg

from bench import common, database
from bench.sync_data import (
    INTERVIEWS_EACH,
    PULL_HOUSEHOLDS,
    PUSH_HOUSEHOLDS,
    VISITS_EACH,
    analyze,
    seed,
)
from bench.sync_measure import (
    initial_pull_in_service,
    insert_raw,
    measure_pulls,
    push_in_service,
    push_tanfang,
)
from bench.sync_servers import (
    KINTO_BATCH_MAX,
    KINTO_DB,
    count_kinto,
    kinto_server,
    push_kinto,
    tanfang_server,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tanfang_syncbench"
# Repository-relative and git-ignored: Kinto's own virtualenv, made once by hand.
DEFAULT_KINTO_VENV = Path(__file__).resolve().parent / ".kinto-venv"
TARGETS = {"kinto_ratio": 10.0, "raw_share": 0.25, "initial_pull_s": 1.0, "incremental_ms": 20.0}


def report(results: dict) -> list[str]:
    """Print the figures; return the verdicts against the targets."""
    rows, verdicts = [], []
    for size, r in results["push"].items():
        best = r["tanfang"]
        kinto, raw = r.get("kinto"), r["raw"]
        for batch, t in r["tanfang_by_batch"].items():
            rows.append(
                [f"Tanfang push, batch {batch}", size, t["seconds"], t["records_per_s"], "", ""]
            )
        if kinto:
            ratio = best["records_per_s"] / kinto["records_per_s"]
            rows.append(
                [
                    f"Kinto 26 batch ({kinto['batch_max_requests']}/request)",
                    size,
                    kinto["seconds"],
                    kinto["records_per_s"],
                    f"{ratio:.1f}x",
                    "",
                ]
            )
            verdicts.append(
                _verdict(
                    f"{size:,}: Tanfang/Kinto {ratio:.1f}x >= 10x", ratio >= TARGETS["kinto_ratio"]
                )
            )
        share = best["records_per_s"] / raw["records_per_s"]
        rows.append(
            ["raw executemany", size, raw["seconds"], raw["records_per_s"], "", f"{share:.0%}"]
        )
        verdicts.append(
            _verdict(f"{size:,}: Tanfang/raw {share:.0%} >= 25%", share >= TARGETS["raw_share"])
        )
        rows.append(
            [
                "tablet save (SQLite, not in push)",
                size,
                best["tablet_save_seconds"],
                best["tablet_save_per_s"],
                "",
                "",
            ]
        )
    print("\nPush (records/s; Tanfang end to end from the tablet's outbox)")
    common.print_table(["system", "records", "s", "records/s", "vs Kinto", "of raw"], rows)
    _report_batches(results)
    pull = results["pull"]
    initial, http, service = pull["initial"], pull["incremental_http"], pull["incremental_service"]
    print("\nPull (500-household caseload)")
    common.print_table(
        ["measure", "changes", "p50 / total", "target"],
        [
            ["initial pull, end to end (s)", initial["changes"], initial["seconds"], "<= 1 s"],
            ["  of which HTTP + server (s)", "", initial["http_seconds"], ""],
            ["  of which tablet store writes (s)", "", initial["tablet_store_seconds"], ""],
            ["incremental, HTTP call (ms p50)", 0, http["p50_ms"], "<= 20 ms"],
            ["incremental, service only (ms p50)", 0, service["p50_ms"], ""],
        ],
    )
    verdicts.append(
        _verdict(
            f"initial pull {initial['seconds']:.2f} s <= 1 s",
            initial["seconds"] <= TARGETS["initial_pull_s"],
        )
    )
    verdicts.append(
        _verdict(
            f"incremental pull p50 {http['p50_ms']:.1f} ms <= 20 ms",
            http["p50_ms"] <= TARGETS["incremental_ms"],
        )
    )
    print("\n" + "\n".join(verdicts))
    return verdicts


def _report_batches(results: dict) -> None:
    """Per 1,000-visit batch: the server's own time (in-process) apart from the round trip
    and the tablet's bookkeeping (from the end-to-end runs)."""
    rows = []
    for size, r in results["push"].items():
        best = r["tanfang"]
        per = 1000 / best["records"]
        rows.append(
            [
                f"{size:,}: HTTP round trip incl. server (ms)",
                round(best["http_seconds"] * per * 1000, 1),
            ]
        )
        rows.append(
            [
                f"{size:,}: tablet bookkeeping (ms)",
                round(best["tablet_store_seconds"] * per * 1000, 1),
            ]
        )
    service = results.get("push_service")
    if service:
        for name in ("envelope", "service", "commit"):
            rows.append([f"server, in-process: {name} (ms p50)", service[name]["p50_ms"]])
    print("\nPush per 1,000-visit batch")
    common.print_table(["part", "ms"], rows)
    initial = results.get("pull", {}).get("initial_service")
    if initial:
        print("\nInitial pull inside the server (s, all pages)")
        common.print_table(
            ["page query", "records", "rest of pull", "JSON", "gzip", "pages"],
            [
                [
                    initial["query_seconds"],
                    initial["records_seconds"],
                    initial["pull_other_seconds"],
                    initial["json_seconds"],
                    initial["gzip_seconds"],
                    initial["pages"],
                ]
            ],
        )


def _verdict(text: str, met: bool) -> str:
    return f"{'met   ' if met else 'MISSED'} {text}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,20000", help="records per push run")
    parser.add_argument("--batches", default="500,1000", help="push batch sizes to try")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--kinto-venv",
        type=Path,
        default=DEFAULT_KINTO_VENV,
        help="virtualenv with Kinto 26 and kinto-http (default: bench/.kinto-venv)",
    )
    parser.add_argument("--skip-kinto", action="store_true")
    parser.add_argument("--repeat", type=int, default=50, help="incremental pulls timed")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    url = args.database_url
    database.require_scratch(url)
    if not args.skip_kinto and not (args.kinto_venv / "bin" / "kinto").exists():
        sys.exit(
            f"no Kinto in {args.kinto_venv}: python3 -m venv {args.kinto_venv} && "
            f'{args.kinto_venv}/bin/pip install "kinto[postgresql]==26.*" kinto-http'
        )
    workdir = Path(tempfile.mkdtemp(prefix="tanfang-syncbench-"))
    os.environ["TANFANG_INSTANCE_PATH"] = str(workdir / "instance")
    now = datetime.now(UTC)
    try:
        print(f"preparing {url} (work files in {workdir})", flush=True)
        database.recreate_database(url)
        database.migrate(url)
        ids = seed(url, now)
        analyze(url)
        machine = common.machine_info(url)
        results = {"push": {}}
        base, tanfang = tanfang_server(url, args.workers, workdir)
        with tanfang:
            print("warming up the Tanfang workers (1,000 records, untimed)", flush=True)
            push_tanfang(base, 1000, 100, workdir, now)
            for size in sizes:
                by_batch = {}
                for batch in batches:
                    print(f"Tanfang push {size:,} records, batch {batch}", flush=True)
                    by_batch[batch] = push_tanfang(base, size, batch, workdir, now)
                best = max(by_batch.values(), key=lambda r: r["records_per_s"])
                payloads = best.pop("_payloads")
                for r in by_batch.values():
                    r.pop("_payloads", None)
                record_bytes = sum(
                    len(json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode())
                    for p in payloads
                ) / len(payloads)
                entry = {
                    "tanfang": best,
                    "tanfang_by_batch": by_batch,
                    "record_json_bytes": round(record_bytes),
                }
                if not args.skip_kinto:
                    print(f"Kinto push {size:,} records", flush=True)
                    kbase, kinto = kinto_server(args.kinto_venv, url, workdir)
                    with kinto:
                        entry["kinto"] = push_kinto(args.kinto_venv, kbase, payloads, workdir)
                    entry["kinto"]["stored"] = count_kinto(url, size)
                print(f"raw executemany {size:,} records", flush=True)
                entry["raw"] = insert_raw(url, payloads, ids["pusher"])
                results["push"][size] = entry
            print("push inside the server, per 1,000-visit batch", flush=True)
            results["push_service"] = push_in_service(url, payloads)
            print("pulls", flush=True)
            analyze(url)
            results["pull"] = measure_pulls(base, url, workdir, args.repeat)
            results["pull"]["initial_service"] = initial_pull_in_service(url, 1000)
        machine["load_average_after"] = common.machine_info()["load_average"]
        verdicts = report(results)
        data = {
            "benchmark": "sync",
            "machine": machine,
            "date_utc": machine["date_utc"],
            "settings": {
                "sizes": sizes,
                "push_batches": batches,
                "gunicorn_workers": args.workers,
                "kinto_batch_max_requests": None if args.skip_kinto else KINTO_BATCH_MAX,
                "kinto": "26 (kinto start / waitress, PostgreSQL storage + permissions,"
                " memory cache, basicauth)",
                "push_households": PUSH_HOUSEHOLDS,
                "pull_households": PULL_HOUSEHOLDS,
                "history_per_household": {"visits": VISITS_EACH, "interviews": INTERVIEWS_EACH},
            },
            "targets": TARGETS,
            "results": results,
            "verdicts": verdicts,
        }
        print(f"\nwrote {common.write_json(f'sync-{date.today().isoformat()}', data)}")
    finally:
        if not args.keep:
            database.drop_database(url)
            with psycopg.connect(database.conninfo(url, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{KINTO_DB}" WITH (FORCE)')
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
