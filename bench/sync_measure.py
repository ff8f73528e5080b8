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
