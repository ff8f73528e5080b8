"""The sync benchmark's measurements: Tanfang push from a tablet, raw executemany, pulls."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from bench import common, database
from bench.sync_data import PASSWORD, visit_input
from sync.client import SyncClient
from sync.protocol import ENTITIES
from sync.store import SQLiteStore
from sync.transport import HttpTransport


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


def insert_raw(url: str, payloads: list[dict], advisor_id: int) -> dict:
    """The same visits (new ids) with one executemany into ``visit``, one transaction,
    versions taken from the counter as the server does: the physical limit."""
    from server.models import Visit

    columns = [c.name for c in Visit.__table__.columns]
    rows = [_visit_row(p, advisor_id, columns) for p in payloads]
    marks = ", ".join(f"%({c})s" for c in columns)
    sql = f"INSERT INTO visit ({', '.join(columns)}) VALUES ({marks})"
    with psycopg.connect(database.conninfo(url)) as conn, conn.cursor() as cur:
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
        stored = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ENTITIES}
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
    from server.services.sync import pull as sync_pull

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


def push_in_service(url: str, payloads: list[dict], batch: int = 1000, runs: int = 5) -> dict:
    """The server's own time per push of ``batch`` visits, apart from HTTP and the tablet:
    the view's envelope (JSON parse + ``PushSchema``), ``sync_push.push`` and the commit,
    on a Session as the view runs them. The visits are ``payloads`` under new ids, sent as
    a signed-in tablet of the pushing advisor (mutation ids far above its mark)."""
    import json

    from sqlalchemy import select

    from server import create_app
    from server.api.sync import PushSchema
    from server.extensions import db
    from server.models import Device, User
    from server.services.sync import push as sync_push
    from sync.protocol import SCHEMA_VERSION

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    times: dict[str, list[float]] = {"envelope": [], "service": [], "commit": []}
    with app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.username == "pusher"))
        device = session.scalars(select(Device).where(Device.user_id == user.id)).first()
        for run in range(runs + 1):  # the first warms the schemas and the connection
            start = 10**9 + run * batch
            mutations = []
            for k, p in enumerate(payloads[run * batch : (run + 1) * batch]):
                record_id = str(uuid.uuid4())
                mutations.append(
                    {
                        "mutation_id": start + k + 1,
                        "entity": "visit",
                        "op": "upsert",
                        "id": record_id,
                        "base_version": None,
                        "data": {**p, "id": record_id},
                    }
                )
            doc = {"device_id": device.device_id, "schema_version": SCHEMA_VERSION}
            raw = json.dumps({**doc, "mutations": mutations}).encode()
            ms_envelope, body = common.stopwatch(lambda raw=raw: PushSchema().load(json.loads(raw)))
            ms_service, answer = common.stopwatch(
                lambda body=body, raw=raw: sync_push.push(
                    session,
                    device=device,
                    key=secrets.token_hex(16),
                    body=body,
                    raw=raw,
                    now=datetime.now(UTC),
                )
            )
            ms_commit, _ = common.stopwatch(session.commit)
            if {r["status"] for r in answer["results"]} != {"applied"}:
                raise SystemExit("the in-service push was not applied")
            if run:
                for name, ms in zip(times, (ms_envelope, ms_service, ms_commit), strict=True):
                    times[name].append(ms)
        db.session.remove()
        db.engine.dispose()
    summary = {name: common.summarise(values) for name, values in times.items()}
    summary["batch"] = batch
    return summary


def initial_pull_in_service(url: str, limit: int) -> dict:
    """Where the initial pull's server time goes, page by page, on a Session as the view
    runs it: the page query, reading and dumping the page's records, the rest of
    ``sync_pull.pull``, then JSON and gzip (level 5, as the server) of each page."""
    import gzip
    import json

    from sqlalchemy import select

    from server import create_app
    from server.extensions import db
    from server.models import User
    from server.services.sync import pull as sync_pull

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    spent = dict.fromkeys(("query", "records", "pull", "json", "gzip"), 0.0)

    def timed(name, call):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return wrapper

    page_query, dump = sync_pull._page, sync_pull._dump
    sync_pull._page, sync_pull._dump = timed("query", page_query), timed("records", dump)
    try:
        with app.app_context():
            actor = db.session.scalar(select(User).where(User.username == "puller"))
            cursor, pages, sizes = None, 0, 0
            while True:
                db.session.commit()
                db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                started = time.perf_counter()
                page = sync_pull.pull(
                    db.session, actor=actor, cursor=cursor, limit=limit, now=datetime.now(UTC)
                )
                spent["pull"] += time.perf_counter() - started
                started = time.perf_counter()
                raw = json.dumps(page).encode()
                spent["json"] += time.perf_counter() - started
                started = time.perf_counter()
                sizes += len(gzip.compress(raw, compresslevel=5))
                spent["gzip"] += time.perf_counter() - started
                cursor, pages = page["cursor"], pages + 1
                if not page["has_more"]:
                    break
            db.session.remove()
            db.engine.dispose()
    finally:
        sync_pull._page, sync_pull._dump = page_query, dump
    spent["pull_other"] = spent.pop("pull") - spent["query"] - spent["records"]
    return {
        **{f"{k}_seconds": round(v, 3) for k, v in spent.items()},
        "pages": pages,
        "gzip_bytes": sizes,
    }
