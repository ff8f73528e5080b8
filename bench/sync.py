"""Benchmark of sync: Tanfang push vs Kinto 26 vs raw executemany, and pulls (DESIGN §5).

    python bench/sync.py [--sizes 2000,20000] [--skip-kinto] [--batches 500,1000]

Everything runs on this machine against one PostgreSQL server: Tanfang under gunicorn
(``tanfang serve``), Kinto 26 under its own ``kinto start`` from a separate virtualenv
(``--kinto-venv``; Kinto never enters Tanfang's environment), and psycopg's executemany
straight into the ``visit`` table. The same visit records go to all three. The databases
``tanfang_syncbench`` and ``kinto_bench`` are recreated for the run and dropped after it
(``--keep`` keeps them).
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
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
import requests
from psycopg.types.json import Jsonb
from stdnum.cn import ric

from bench import common
from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tanfang_syncbench"
KINTO_DB = "kinto_bench"
PASSWORD = "bench-password-1"
PUSH_HOUSEHOLDS = 100  # the pushing advisor's caseload
PULL_HOUSEHOLDS = 500  # the pulling advisor's caseload (DESIGN §1: 100-500 per advisor)
VISITS_EACH, INTERVIEWS_EACH = 14, 4  # history per pulled household (the bundle sends 12)
KINTO_BATCH_MAX = 1000  # kinto.batch_max_requests (Kinto's default is 25)
TARGETS = {"kinto_ratio": 10.0, "raw_share": 0.25, "initial_pull_s": 2.0, "incremental_ms": 20.0}
CONDITIONS = [
    "家中整洁，生活基本有保障",
    "房屋较旧，居住条件一般",
    "患病在床，需要照料",
    "租住单间，收入不稳定",
    "独居老人，子女在外地",
]


# --- the dataset --------------------------------------------------------------------------


def _id_number(n: int, birth: date) -> str:
    body = f"440100{birth:%Y%m%d}{n % 100:02d}{n % 10}"
    return body + ric.calc_check_digit(body + "0")


def seed(url: str, now: datetime) -> dict:
    """Areas, the two advisors and their caseloads, through the services (so every
    household has its CaseloadAssignment); the pulled caseload also gets its history."""
    from server import create_app
    from server.extensions import db
    from server.models import Area, Interview, Visit
    from server.services import households, users

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    with app.app_context():
        session = db.session
        district = Area(code="440104", name="越秀区", kind="district")
        street = Area(code="440104001", name="北京街道", kind="street", parent=district)
        community = Area(code="440104001001", name="盐运西社区", kind="community", parent=street)
        session.add_all([district, street, community])
        session.commit()
        advisors = {
            name: users.create_user(
                session,
                actor=None,
                username=name,
                password=PASSWORD,
                role="advisor",
                area=street,
                display_name=name,
                now=now,
                password_method="pbkdf2:sha256:1000",
            )
            for name in ("pusher", "puller")
        }
        ids = {"street": street.id, "community": community.id}
        ids.update({name: user.id for name, user in advisors.items()})
        started = time.perf_counter()
        n = 0
        for name, count in (("pusher", PUSH_HOUSEHOLDS), ("puller", PULL_HOUSEHOLDS)):
            for _ in range(count):
                n += 1
                members = 1 if name == "pusher" else 1 + n % 3  # 2 on average
                household = households.create_household(
                    session,
                    actor=None,
                    now=now,
                    tz=app.config["TIMEZONE"],
                    data=_household(n, street.id, community.id, advisors[name].id),
                    persons=[_person(n * 10 + i, i) for i in range(members)],
                )
                if name == "puller":
                    session.add_all(
                        _history(household.id, advisors[name].id, n, now, Visit, Interview)
                    )
                if n % 50 == 0:
                    session.commit()
        session.commit()
        db.engine.dispose()
    print(f"  seeded {n} households in {time.perf_counter() - started:.1f} s", flush=True)
    return ids


def _household(n: int, street_id: int, community_id: int, advisor_id: int) -> dict:
    return {
        "external_id": f"GD440104{n:06d}",
        "head_name": f"户主{n}",
        "phone": "13800138000",
        "residence_address": f"北京街道中山路{n}号",
        "registration_street_id": street_id,
        "registration_community_id": community_id,
        "residence_street_id": street_id,
        "residence_community_id": community_id,
        "categories": ["dibao"],
        "hardship_level": ("high", "medium", "low")[n % 3],
        "enrolled_on": date(2024, 3, 1),
        "assigned_advisor_id": advisor_id,
    }


def _person(n: int, index: int) -> dict:
    birth = date(1950 + n % 60, 1 + n % 12, 1 + n % 28)
    return {
        "name": f"成员{n}",
        "id_number": _id_number(n, birth),
        "birth_date": birth,
        "gender": "male" if n % 2 else "female",
        "relation": "head" if index == 0 else "child",
        "health": "chronic",
        "labour_capacity": "partial",
        "employment": "flexible",
    }


def _history(household_id, advisor_id: int, n: int, now: datetime, visit, interview) -> list:
    rows = []
    for i in range(VISITS_EACH):
        at = now - timedelta(days=30 * i + n % 20 + 1)
        rows.append(
            visit(
                id=uuid.uuid4(),
                household_id=household_id,
                advisor_id=advisor_id,
                device_id="seed",
                visited_at=at,
                outcome="completed",
                living_conditions=CONDITIONS[(n + i) % 5],
                income_change="same",
                estimated_monthly_income=Decimal("1850.00"),
                status="approved",
                started_at=at,
                ended_at=at + timedelta(minutes=25),
            )
        )
    for i in range(INTERVIEWS_EACH):
        at = now - timedelta(days=90 * i + n % 30 + 1)
        rows.append(
            interview(
                id=uuid.uuid4(),
                household_id=household_id,
                advisor_id=advisor_id,
                device_id="seed",
                interviewed_at=at,
                interviewee_role="neighbour",
                statement="该户平时生活节俭，近期未见明显变化。",
                corroborates="yes",
                status="approved",
            )
        )
    return rows


def analyze(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum does soon after a table changes this much: without
    statistics the planner takes the 500-household caseload for one row."""
    with psycopg.connect(common.conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def visit_input(household_id: str, n: int, now: datetime) -> dict:
    """What the advisor types in for one visit (the store adds ids, status and defaults)."""
    at = now - timedelta(days=n % 28, minutes=n % 600 + 30)
    return {
        "household_id": household_id,
        "visited_at": at.isoformat(),
        "outcome": "completed",
        "living_conditions": CONDITIONS[n % 5],
        "income_change": "same",
        "estimated_monthly_income": "1850.00",
        "needs": ["medical"] if n % 7 == 0 else [],
        "notes": "按期入户",
        "started_at": at.isoformat(),
        "location": {"lat": round(23.12 + n % 97 / 1e4, 5), "lon": 113.28, "accuracy_m": 8.0},
        "ended_at": (at + timedelta(minutes=25)).isoformat(),
    }


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(command: list[str], ready_url: str, log: Path, env: dict | None = None):
    """Run a server subprocess (output to ``log``) until the block ends; wait until
    ``ready_url`` answers 200 first."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{command[0]} exited with {proc.returncode}; see {log}")
            try:
                if requests.get(ready_url, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[0]} did not start in 60 s; see {log}")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()  # only the process this function started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tanfang_server(url: str, workers: int, workdir: Path):
    """``tanfang serve`` (gunicorn) on a free port; yields nothing, see :func:`serve`."""
    port = free_port()
    env = {
        **os.environ,
        "TANFANG_DATABASE_URL": url,
        "TANFANG_SECRET_KEY": secrets.token_hex(16),
        "TANFANG_INSTANCE_PATH": str(workdir / "instance"),
    }
    command = [
        str(Path(sys.executable).with_name("tanfang")),
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    base = f"http://127.0.0.1:{port}"
    return base, serve(command, f"{base}/api/v1/openapi.json", workdir / "tanfang.log", env)


KINTO_INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.postgresql
kinto.storage_url = {db}
kinto.permission_backend = kinto.core.permission.postgresql
kinto.permission_url = {db}
kinto.cache_backend = kinto.core.cache.memory
kinto.userid_hmac_secret = {secret}
multiauth.policies = basicauth
kinto.bucket_create_principals = system.Authenticated
kinto.batch_max_requests = {batch_max}

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}

[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = plain
[logger_root]
level = WARNING
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain
[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""

# Run with the Kinto venv's python: times kinto-http's batch client creating the records.
KINTO_CLIENT = """\
import json, sys, time
from kinto_http import Client
server, bucket, collection, path = sys.argv[1:5]
records = json.load(open(path))
client = Client(server_url=server, auth=("bench", "bench-password"), bucket=bucket,
                collection=collection)
client.create_bucket(if_not_exists=True)
client.create_collection(if_not_exists=True)
# Warm up (imports, connections, caches) on another collection, as the Tanfang side is.
client.create_collection(id="warmup", if_not_exists=True)
with client.batch(collection="warmup") as batch:
    for record in records[:200]:
        batch.create_record(id=record["id"], data=record)
started = time.perf_counter()
with client.batch() as batch:
    for record in records:
        batch.create_record(id=record["id"], data=record)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "answers": len(batch.results()),
                  "batch_max_requests": client._server_settings["batch_max_requests"]}))
"""


def kinto_server(venv: Path, pg_url: str, workdir: Path):
    """A Kinto server on ``kinto_bench`` (recreated and migrated); yields nothing."""
    name = KINTO_DB
    with psycopg.connect(common.conninfo(pg_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    ini = workdir / "kinto.ini"
    db = common.conninfo(pg_url, name)
    ini.write_text(
        KINTO_INI.format(db=db, secret=secrets.token_hex(32), port=port, batch_max=KINTO_BATCH_MAX)
    )
    kinto = str(venv / "bin" / "kinto")
    subprocess.run([kinto, "migrate", "--ini", str(ini)], check=True, capture_output=True)
    base = f"http://127.0.0.1:{port}/v1"
    return base, serve([kinto, "start", "--ini", str(ini)], f"{base}/", workdir / "kinto.log")


# --- measurements -------------------------------------------------------------------------


class TimedTransport(HttpTransport):
    """An HttpTransport that adds up the time spent inside push and pull calls (HTTP, JSON,
    gzip and the server), so the rest of the sync is the tablet store's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seconds = 0.0

    def push(self, *args, **kwargs) -> dict:
        """Timed :meth:`HttpTransport.push`."""
        started = time.perf_counter()
        try:
            return super().push(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started

    def pull(self, *args, **kwargs) -> dict:
        """Timed :meth:`HttpTransport.pull`."""
        started = time.perf_counter()
        try:
            return super().pull(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def tablet(base: str, path: Path, username: str, **kwargs) -> SyncClient:
    """A fresh tablet (store + HTTP transport), signed in as ``username``."""
    client = SyncClient(SQLiteStore(path), TimedTransport(base, timeout=(5, 120)), **kwargs)
    client.login(username, PASSWORD, device_name="bench", app_version="bench")
    return client


def push_tanfang(base: str, size: int, batch: int, workdir: Path, now: datetime) -> dict:
    """Save ``size`` visits on a fresh tablet (timed apart), then time ``client.push()``."""
    client = tablet(base, workdir / f"push-{size}-{batch}.sqlite3", "pusher", batch=batch)
    client.pull()  # the caseload's households: a visit needs its household on the tablet
    homes = [h["id"] for h in client.store.households()]
    started = time.perf_counter()
    for n in range(size):
        client.store.save_visit(visit_input(homes[n % len(homes)], n, now))
    saved = time.perf_counter() - started
    payloads = [m["data"] for m in client.store.pending_mutations(size)]
    client.transport.seconds = 0.0
    started = time.perf_counter()
    counts = client.push()
    seconds = time.perf_counter() - started
    http = client.transport.seconds
    client.store.close()
    client.transport.close()
    if counts != {"applied": size}:
        raise SystemExit(f"push answered {counts}, expected {size} applied")
    return {
        "records": size,
        "batch": batch,
        "seconds": round(seconds, 3),
        "records_per_s": round(size / seconds, 1),
        "http_seconds": round(http, 3),
        "tablet_store_seconds": round(seconds - http, 3),
        "tablet_save_seconds": round(saved, 3),
        "tablet_save_per_s": round(size / saved, 1),
        "_payloads": payloads,
    }


def push_kinto(venv: Path, base: str, payloads: list[dict], workdir: Path) -> dict:
    """Create the same records in Kinto with kinto-http's batch client (a subprocess)."""
    script, data = workdir / "kinto_push.py", workdir / f"kinto-{len(payloads)}.json"
    script.write_text(KINTO_CLIENT)
    data.write_text(json.dumps(payloads, ensure_ascii=False))
    collection = f"visits{len(payloads)}"
    out = subprocess.run(
        [str(venv / "bin" / "python"), str(script), base, "tanfang", collection, str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    if answer["answers"] != len(payloads):
        raise SystemExit(f"kinto answered {answer['answers']} of {len(payloads)} records")
    seconds = answer["seconds"]
    return {
        "records": len(payloads),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(payloads) / seconds, 1),
        "batch_max_requests": answer["batch_max_requests"],
    }


def count_kinto(pg_url: str, size: int) -> int:
    """Records stored in the collection the Kinto run for ``size`` wrote."""
    with psycopg.connect(common.conninfo(pg_url, KINTO_DB)) as conn:
        return conn.execute(
            "SELECT count(*) FROM objects WHERE resource_name = 'record' AND parent_id = %s",
            (f"/buckets/tanfang/collections/visits{size}",),
        ).fetchone()[0]


def insert_raw(url: str, payloads: list[dict], advisor_id: int) -> dict:
    """The same visits (new ids) with one executemany into ``visit``, one transaction,
    versions taken from the counter as the server does: the physical limit."""
    from server.models import Visit

    columns = [c.name for c in Visit.__table__.columns]
    rows = [_visit_row(p, advisor_id, columns) for p in payloads]
    marks = ", ".join(f"%({c})s" for c in columns)
    sql = f"INSERT INTO visit ({', '.join(columns)}) VALUES ({marks})"
    with psycopg.connect(common.conninfo(url)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        top = cur.execute(
            "UPDATE sync_counter SET value = value + %s WHERE id = 1 RETURNING value",
            (len(rows),),
        ).fetchone()[0]
        first = top - len(rows) + 1
        cur.executemany(sql, [{**row, "version": first + i} for i, row in enumerate(rows)])
        conn.commit()
        seconds = time.perf_counter() - started
    return {
        "records": len(rows),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(rows) / seconds, 1),
    }


def _visit_row(p: dict, advisor_id: int, columns: list[str]) -> dict:
    location = p.get("location") or {}
    when = {
        k: datetime.fromisoformat(p[k]) if p.get(k) else None
        for k in ("visited_at", "started_at", "ended_at")
    }
    values = {
        **{k: p.get(k) for k in columns},
        **when,
        "id": uuid.uuid4(),
        "household_id": uuid.UUID(p["household_id"]),
        "advisor_id": advisor_id,
        "device_id": "raw-executemany",
        "findings": Jsonb(p["findings"]),
        "needs": Jsonb(p["needs"]),
        "persons_met": Jsonb(p["persons_met"]),
        "estimated_monthly_income": Decimal(p["estimated_monthly_income"]),
        "latitude": location.get("lat"),
        "longitude": location.get("lon"),
        "accuracy_m": location.get("accuracy_m"),
        "version": 0,
    }
    return {k: values.get(k) for k in columns}


def measure_pulls(base: str, url: str, workdir: Path, repeat: int) -> dict:
    """The initial pull of the 500-household caseload into an empty tablet, end to end;
    then pulls with nothing new, over HTTP and inside the server's service."""
    client = tablet(base, workdir / "pull.sqlite3", "puller")
    client.transport.seconds = 0.0
    started = time.perf_counter()
    changes, pages = client.pull()
    seconds = time.perf_counter() - started
    http = client.transport.seconds
    with client.store._read() as conn:
        stored = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("household", "person", "visit", "interview", "warning")
        }
    cursor, limit = client.store.cursor(), client.pull_limit
    times = []
    for i in range(repeat + 5):
        ms, page = common.stopwatch(lambda: client.transport.pull(cursor, limit))
        if page["changes"] or page["has_more"]:
            raise SystemExit("an incremental pull found changes: the caseload is not quiet")
        if i >= 5:
            times.append(ms)
    client.store.close()
    client.transport.close()
    return {
        "initial": {
            "changes": changes,
            "pages": pages,
            "page_limit": client.pull_limit,
            "seconds": round(seconds, 3),
            "http_seconds": round(http, 3),
            "tablet_store_seconds": round(seconds - http, 3),
            "stored": stored,
        },
        "incremental_http": common.summarise(times),
        "incremental_service": _pull_in_service(url, cursor, repeat, limit),
    }


def _pull_in_service(url: str, cursor: str, repeat: int, limit: int) -> dict:
    """``sync_pull.pull`` on a Session as the view calls it (REPEATABLE READ), no HTTP."""
    from sqlalchemy import select

    from server import create_app
    from server.extensions import db
    from server.models import User
    from server.services import sync_pull

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    times = []
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "puller"))
        for i in range(repeat + 5):
            db.session.commit()
            db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            ms, page = common.stopwatch(
                lambda: sync_pull.pull(
                    db.session, actor=actor, cursor=cursor, limit=limit, now=datetime.now(UTC)
                )
            )
            if i >= 5:
                times.append(ms)
        db.session.remove()
        db.engine.dispose()
    return common.summarise(times)


# --- report -------------------------------------------------------------------------------


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
    pull = results["pull"]
    initial, http, service = pull["initial"], pull["incremental_http"], pull["incremental_service"]
    print("\nPull (500-household caseload)")
    common.print_table(
        ["measure", "changes", "p50 / total", "target"],
        [
            ["initial pull, end to end (s)", initial["changes"], initial["seconds"], "<= 2 s"],
            ["  of which HTTP + server (s)", "", initial["http_seconds"], ""],
            ["incremental, HTTP call (ms p50)", 0, http["p50_ms"], "<= 20 ms"],
            ["incremental, service only (ms p50)", 0, service["p50_ms"], ""],
        ],
    )
    verdicts.append(
        _verdict(
            f"initial pull {initial['seconds']:.2f} s <= 2 s",
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


def _verdict(text: str, met: bool) -> str:
    return f"{'met   ' if met else 'MISSED'} {text}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,20000", help="records per push run")
    parser.add_argument("--batches", default="500,1000", help="push batch sizes to try")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--kinto-venv", type=Path, default=Path("/work/kinto-venv"))
    parser.add_argument("--skip-kinto", action="store_true")
    parser.add_argument("--repeat", type=int, default=50, help="incremental pulls timed")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    url = args.database_url
    common.require_scratch(url)
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
        common.recreate_database(url)
        common.migrate(url)
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
            print("pulls", flush=True)
            analyze(url)
            results["pull"] = measure_pulls(base, url, workdir, args.repeat)
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
            common.drop_database(url)
            with psycopg.connect(common.conninfo(url, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{KINTO_DB}" WITH (FORCE)')
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
