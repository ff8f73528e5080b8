"""Benchmark of the roster import: dry run and import of 100,000 generated rows (Faker
zh_CN names and addresses, valid ID numbers) into an empty and into a populated database,
beside a raw PostgreSQL COPY of the same rows."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/roster.py``, this folder comes first on sys.path and its sync.py
# would hide the ``sync`` package: the project root takes that place instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).absolute().parent.parent)

import argparse
import csv
import hashlib
import io
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from faker import Faker
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from bench import common, database
from server.models import Area, User
from server.services import roster
from server.services.core.transaction import unit_of_work
from server.services.roster.columns import COLUMNS
from sync.schedule import DEFAULT_TZ

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_roster_bench"
TARGETS_S = {"dry_run": 15.0, "import": 30.0}
SEED = 20261202
STREETS, COMMUNITIES = 10, 8
CATEGORIES = ["低保对象", "特困人员", "低保边缘家庭", "防止返贫监测对象", "困境儿童"]
LEVELS = ["重点", "一般", "稳定"]
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def id_number(rng: random.Random, birth: date, n: int) -> str:
    # 440100 carries no date range in stdnum's table: valid for any birth year.
    body = f"440100{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def generate(count: int, start: int, seed: int) -> list[dict]:
    """``count`` roster rows numbered from ``start`` (distinct ID numbers by number)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    rows = []
    for n in range(start, start + count):
        # Births spread over decades as in a real roster (each thousand rows its own 90
        # days, and the row number in the sequence digits, keep every ID number distinct).
        birth = date(1940, 1, 1) + timedelta(days=(n // 1000) * 90 + rng.randrange(90))
        street = rng.randrange(STREETS)
        rows.append(
            {
                "external_id": f"YX{n:08d}",
                "head_name": fake.name(),
                "head_id_number": id_number(rng, birth, n),
                "phone": fake.phone_number(),
                "residence_address": fake.street_address(),
                "registration_street": f"第{street + 1}街道",
                "registration_community": f"第{street + 1}街道{rng.randrange(COMMUNITIES) + 1}社区",
                "categories": "、".join(rng.sample(CATEGORIES, rng.choice((1, 1, 2)))),
                "hardship_level": rng.choice(LEVELS),
                "enrolled_on": (date(2020, 1, 1) + timedelta(days=rng.randrange(2000))).isoformat(),
            }
        )
    return rows


def to_csv(rows: list[dict]) -> bytes:
    keys = list(rows[0])
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([next(c.zh for c in COLUMNS if c.key == k) for k in keys])
    writer.writerows([r[k] for k in keys] for r in rows)
    return out.getvalue().encode("utf-8-sig")


def prepare(url: str) -> None:
    """A fresh migrated database with the areas the rows name, and an admin."""
    database.recreate_database(url)
    database.migrate(url)
    engine = create_engine(url)
    with Session(engine) as session, unit_of_work(session):
        district = Area(code="440104", name="越秀区", kind="district")
        session.add(district)
        for s in range(STREETS):
            street = Area(
                code=f"S{s + 1:02d}", name=f"第{s + 1}街道", kind="street", parent=district
            )
            session.add(street)
            for c in range(COMMUNITIES):
                session.add(
                    Area(
                        code=f"S{s + 1:02d}C{c + 1:02d}",
                        name=f"第{s + 1}街道{c + 1}社区",
                        kind="community",
                        parent=street,
                    )
                )
        session.add(
            User(
                username="admin",
                role="admin",
                display_name="admin",
                area=district,
                password_hash="!",
            )
        )
    engine.dispose()


def timed(engine, data: bytes, write: bool) -> tuple[float, dict]:
    """Seconds to read and check (and with ``write`` to import and commit) ``data``."""
    with Session(engine) as session:
        admin = session.scalar(select(User).where(User.role == "admin"))
        started = time.perf_counter()
        table = roster.read_table(data, "roster.csv")
        if write:
            with unit_of_work(session):
                outcome = roster.import_roster(
                    session,
                    actor=admin,
                    table=table,
                    now=NOW,
                    tz=DEFAULT_TZ,
                    digest=hashlib.sha256(data).hexdigest(),
                )
            plan = outcome.plan
        else:
            plan = roster.check(session, actor=admin, table=table, now=NOW, tz=DEFAULT_TZ)
            session.rollback()
        return time.perf_counter() - started, plan.counts


def raw_copy(url: str, rows: list[dict]) -> float:
    """Seconds for PostgreSQL's own COPY of the same households and heads (rolled back)."""
    import psycopg

    with psycopg.connect(database.conninfo(url)) as conn:
        street_ids = dict(conn.execute("SELECT name, id FROM area").fetchall())
        started = time.perf_counter()
        with conn.cursor() as cursor:
            columns = (
                "id, version, external_id, head_name, phone, residence_address,"
                " registration_street_id, registration_community_id, residence_street_id,"
                " residence_community_id, categories, hardship_level, visit_cycle, status,"
                " enrolled_on, notes, field_versions"
            )
            heads = []
            with cursor.copy(f"COPY household ({columns}) FROM STDIN") as copy:
                for r in rows:
                    hid = uuid.uuid4()
                    street = street_ids[r["registration_street"]]
                    community = street_ids[r["registration_community"]]
                    copy.write_row(
                        (hid, 1, r["external_id"], r["head_name"], r["phone"],
                         r["residence_address"], street, community, street, community,
                         '["dibao"]', "high", "monthly", "active", r["enrolled_on"], "", "{}")
                    )  # fmt: skip
                    heads.append((uuid.uuid4(), 1, hid, r["head_name"], r["head_id_number"]))
            person = (
                "id, version, household_id, name, id_number, gender, birth_date, relation,"
                " health, labour_capacity, employment"
            )
            with cursor.copy(f"COPY person ({person}) FROM STDIN") as copy:
                for pid, version, hid, name, number in heads:
                    copy.write_row(
                        (pid, version, hid, name, number, "male", "1960-01-01", "head",
                         "healthy", "full", "not_applicable")
                    )  # fmt: skip
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed


def changed(rows: list[dict]) -> list[dict]:
    """The same households with a new phone number and level (an update each)."""
    return [
        {
            **r,
            "phone": f"020-{n:08d}",
            "hardship_level": "稳定" if r["hardship_level"] != "稳定" else "重点",
        }
        for n, r in enumerate(rows)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    database.require_scratch(args.database_url)
    print(f"generating {args.rows:,} rows…", file=sys.stderr)
    first = generate(args.rows, 0, SEED)
    # The second file: half of the first file's households changed, half new ones.
    half = args.rows // 2
    second = changed(first[:half]) + generate(args.rows - half, args.rows, SEED + 1)
    files = {"first": to_csv(first), "second": to_csv(second)}
    prepare(args.database_url)
    engine = create_engine(args.database_url)
    results: list[tuple[str, str, float, dict]] = []
    steps = [
        ("empty database", "first", False),
        ("empty database", "first", True),
        ("populated (same file again)", "first", False),
        ("populated (same file again)", "first", True),
        ("populated (50% update, 50% new)", "second", False),
        ("populated (50% update, 50% new)", "second", True),
    ]
    for label, name, write in steps:
        seconds, counts = timed(engine, files[name], write)
        results.append((label, "import" if write else "dry_run", seconds, counts))
        print(
            f"{label}: {'import' if write else 'dry run'} {seconds:.1f} s {counts}", file=sys.stderr
        )
    copy_s = raw_copy(args.database_url, generate(args.rows, 10 * args.rows, SEED + 2))
    engine.dispose()
    table = [
        [label, step, round(s, 2), f"{args.rows / s:,.0f}", TARGETS_S[step],
         "met" if s <= TARGETS_S[step] else "MISSED",
         " ".join(f"{k}={v}" for k, v in counts.items() if v)]
        for label, step, s, counts in results
    ]  # fmt: skip
    table.append(
        [
            "raw COPY (households + heads)",
            "copy",
            round(copy_s, 2),
            f"{args.rows / copy_s:,.0f}",
            "",
            "",
            "",
        ]
    )
    common.print_table(["database", "step", "seconds", "rows/s", "target s", "", "rows"], table)
    path = common.write_json(
        "roster",
        {
            "machine": common.machine_info(args.database_url),
            "rows": args.rows,
            "file_bytes": {k: len(v) for k, v in files.items()},
            "results": [
                {
                    "database": label,
                    "step": step,
                    "seconds": round(s, 3),
                    "counts": counts,
                    "target_s": TARGETS_S[step],
                    "met": s <= TARGETS_S[step],
                }
                for label, step, s, counts in results
            ],  # fmt: skip
            "raw_copy_seconds": round(copy_s, 3),
        },
    )
    print(f"results: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
