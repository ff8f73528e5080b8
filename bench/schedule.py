"""Benchmark of the visit schedule: SQL due lists and summaries at scale, and status()."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/schedule.py``, this folder comes first on sys.path and its sync.py
# would hide the ``sync`` package: the project root takes that place instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).absolute().parent.parent)

import argparse
import random
import timeit
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from bench import common, database
from bench.schedule_data import OUTCOMES, SEED, STATUSES, build
from server.models import Area, User
from server.services.households import schedule
from sync.schedule import DEFAULT_TZ, completed_days, status

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tanfang_bench"
TZ = DEFAULT_TZ
TARGETS_MS = {"street_admin": 100.0, "advisor": 20.0, "status_1000": 50.0}


def measure_queries(url: str, on: date, repeat: int, warmup: int, seed: int) -> dict:
    """Time the street and advisor due lists and the street summary through the services.

    Every run opens a new session (as a request does) and asks about a street or advisor
    picked at random, so the figures are not those of one hot street.
    """
    rng = random.Random(seed)
    engine = create_engine(url)
    with Session(engine) as session:
        streets = session.scalars(select(Area.id).where(Area.kind == "street")).all()
        admin = session.scalar(select(User.id).where(User.role == "admin"))
        supervisor_of = dict(
            session.execute(select(User.area_id, User.id).where(User.role == "supervisor")).all()
        )
        advisors = session.scalars(select(User.id).where(User.role == "advisor")).all()

    def street_admin():
        return admin, schedule.DueQuery(on=on, street_id=rng.choice(streets))

    def street_supervisor():
        street = rng.choice(streets)
        return supervisor_of[street], schedule.DueQuery(on=on, street_id=street)

    def street_overdue():
        query = schedule.DueQuery(
            on=on, street_id=rng.choice(streets), states=frozenset({"overdue"})
        )
        return admin, query

    def advisor():
        return rng.choice(advisors), schedule.DueQuery(on=on)

    cases = {
        "street_admin": ("street due list, admin, page 1", street_admin, _page),
        "street_supervisor": ("street due list, supervisor, page 1", street_supervisor, _page),
        "street_overdue": ("street due list, overdue only, page 1", street_overdue, _page),
        "advisor": ("advisor due list, own caseload, page 1", advisor, _page),
        "street_summary": ("street summary", street_admin, _summary),
    }
    results = {}
    for key, (label, pick, call) in cases.items():
        totals = []

        def run(pick=pick, call=call, totals=totals):
            actor_id, query = pick()
            with Session(engine) as session:
                actor = session.get(User, actor_id)
                ms, total = common.stopwatch(lambda: call(session, actor, query))
            totals.append(total)
            return ms

        stats = common.measure(run, repeat, warmup)
        stats["label"] = label
        stats["mean_households"] = round(sum(totals[warmup:]) / repeat)
        results[key] = stats
        print(f"  {label:<40} p50 {stats['p50_ms']:8.2f} ms", flush=True)
    engine.dispose()
    return results


def _page(session, actor, query) -> int:
    page = schedule.due_list(session, actor, query, tz=TZ, page=1, page_size=50)
    return page.total


def _summary(session, actor, query) -> int:
    return schedule.summary(session, actor, query, tz=TZ)["total"]


def measure_status(repeat: int, seed: int) -> dict:
    """``sync.schedule`` for 1,000 households of ~10 visits each, on the tablet (timeit):
    ``status()`` alone, and with ``completed_days()`` turning visit records into days."""
    rng, on, zone = random.Random(seed), date(2026, 11, 23), ZoneInfo(TZ)
    homes = []
    for _ in range(1000):
        visits = [
            (
                datetime.combine(on - timedelta(days=rng.randrange(540)), time(10), zone),
                OUTCOMES[int(rng.random() * len(OUTCOMES))],
                STATUSES[int(rng.random() * len(STATUSES))],
            )
            for _ in range(10)
        ]
        enrolled = on - timedelta(days=rng.randrange(30, 6 * 365))
        since = enrolled if rng.random() < 0.7 else None
        cycle = rng.choice(["monthly", "quarterly", "half_yearly"])
        homes.append((cycle, visits, [v[0].date() for v in visits], enrolled, since))

    def status_only():
        for cycle, _, days, enrolled, since in homes:
            status(cycle, days, enrolled, on, cycle_since=since)

    def with_days():
        for cycle, visits, _, enrolled, since in homes:
            status(cycle, completed_days(visits, zone), enrolled, on, cycle_since=since)

    results = {}
    for key, label, run in (
        ("status_1000", "status() x 1,000 households (Python)", status_only),
        ("status_days_1000", "completed_days() + status() x 1,000", with_days),
    ):
        times = timeit.repeat(run, number=1, repeat=max(repeat, 30))
        results[key] = {
            **common.summarise([t * 1000 for t in times]),
            "label": label,
            "mean_households": 1000,
        }
    return results


def explain_street_list(url: str, on: date) -> None:
    """Print the plans of every statement of one admin street due list."""
    engine = create_engine(url)
    with Session(engine) as session:
        street = session.scalar(select(Area.id).where(Area.kind == "street").limit(1))
        actor = session.scalar(select(User).where(User.role == "admin"))
        query = schedule.DueQuery(on=on, street_id=street)
        database.explain(engine, lambda: _page(session, actor, query))
    engine.dispose()


def dataset_sizes(url: str, marker: dict) -> dict:
    """Row counts, areas, caseloads and on-disk sizes (MB) of the loaded dataset."""
    counting = "outcome = 'completed' AND status <> 'draft'"
    queries = {
        "households": "SELECT count(*) FROM household",
        "visits": "SELECT count(*) FROM visit",
        "counting_visits": f"SELECT count(*) FROM visit WHERE {counting}",
        "streets": "SELECT count(*) FROM area WHERE kind = 'street'",
        "communities": "SELECT count(*) FROM area WHERE kind = 'community'",
        "advisors": "SELECT count(*) FROM user_account WHERE role = 'advisor'",
        "separated": "SELECT count(*) FROM household WHERE registration_street_id"
        " <> residence_street_id",
    }
    sizes = {"household_mb": "household", "visit_mb": "visit", "ix_visit_counting_mb": None}
    for key, table in sizes.items():
        function = "pg_total_relation_size" if table else "pg_relation_size"
        queries[key] = f"SELECT {function}('{table or 'ix_visit_counting'}') / 1048576"
    engine = create_engine(url)
    with engine.connect() as conn:
        data = {k: conn.execute(text(q)).scalar() for k, q in queries.items()}
        cycles = conn.execute(text("SELECT visit_cycle, count(*) FROM household GROUP BY 1"))
        data["cycles"] = dict(cycles.all())
    engine.dispose()
    data["households_per_street"] = round(data["households"] / data["streets"])
    data["households_per_advisor"] = round(data["households"] / data["advisors"])
    data["visits_per_household"] = round(data["visits"] / data["households"], 2)
    return {**data, "on": marker["on"], "load_seconds": marker["load_seconds"]}


def report(results: dict, households: int) -> None:
    """Print the figures and verdicts against the issue's targets (set for 1.5M households)."""
    rows = []
    for key, r in results.items():
        target = TARGETS_MS.get(key)
        verdict = "" if target is None else ("met" if r["p50_ms"] <= target else "MISSED")
        rows.append([r["label"], r["mean_households"], r["p50_ms"], r["p95_ms"], r["min_ms"],
                     f"{target:g}" if target else "", verdict])  # fmt: skip
    print(f"\nVisit schedule at {households:,} households (times in ms)")
    headers = ["measure", "households", "p50", "p95", "min", "target p50", ""]
    common.print_table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--visits-per-household", type=int, default=10)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep a dataset of this size")
    parser.add_argument("--explain", action="store_true", help="print query plans and stop")
    parser.add_argument("--drop", action="store_true", help="drop the database when done")
    args = parser.parse_args(argv)
    url = args.database_url
    database.require_scratch(url)

    marker = database.read_marker(url) if args.reuse else None
    wanted = {"benchmark": "schedule", "households": args.households,
              "visits_per_household": args.visits_per_household}  # fmt: skip
    if marker and all(marker.get(k) == v for k, v in wanted.items()):
        print(f"reusing the dataset of {args.households:,} households in {url}")
    else:
        today = datetime.now(ZoneInfo(TZ)).date()
        print(f"building {args.households:,} households x ~{args.visits_per_household} visits")
        marker = build(url, args.households, args.visits_per_household, today)
        print(f"loaded in {marker['load_seconds']:.0f} s")
    on = date.fromisoformat(marker["on"])
    if args.explain:
        explain_street_list(url, on)
        return
    machine = common.machine_info(url)
    print(f"measuring ({args.warmup} warm-up runs, {args.repeat} timed runs each); "
          f"load average {machine['load_average']}")  # fmt: skip
    results = measure_queries(url, on, args.repeat, args.warmup, SEED)
    results.update(measure_status(args.repeat, SEED))
    machine["load_average_after"] = common.machine_info()["load_average"]
    report(results, args.households)
    data = {
        "benchmark": "schedule",
        "machine": machine,
        "dataset": dataset_sizes(url, marker),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "targets_p50_ms": TARGETS_MS,
        "results": results,
    }
    print(f"\nwrote {common.write_json(f'schedule-{args.households}', data)}")
    if args.drop:
        database.drop_database(url)


if __name__ == "__main__":
    main()
