"""SQLiteStore's own internals, beyond the contract (tests/sync/store_contract): pragmas,
connections per thread, migrations by PRAGMA user_version, failure injection between its
writes, and a kill -9 in the middle of writing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from sync.store import SQLiteStore, StoreError, outbox
from sync.store import rows as store_rows
from sync.store import schema as store_schema
from tests.sync.store_contract.builders import (
    HH,
    change,
    household_data,
    pull,
    server_visit,
    visit_input,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "tablet.sqlite3"


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return version


def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(path):
    with SQLiteStore(path, timeout=3) as store:
        conn = store._conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 3000


def test_each_thread_gets_its_own_connection_closed_when_the_thread_ends(path):
    with SQLiteStore(path) as store:
        seen = []
        worker = threading.Thread(target=lambda: seen.append((store._conn(), store.cursor())))
        worker.start()
        worker.join()
        (theirs, _), mine = seen[0], store._conn()
        assert theirs is not mine
        reaper = threading.Thread(target=store.pending_count)  # a new thread reaps the old one
        reaper.start()
        reaper.join()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            theirs.execute("SELECT 1")
        assert mine.execute("SELECT 1").fetchone()[0] == 1
    with pytest.raises(StoreError, match="closed"):
        store.cursor()


def test_migrations_start_from_user_version_0(path):
    sqlite3.connect(path).close()  # an empty file at user_version 0
    assert _user_version(path) == 0

    with SQLiteStore(path) as store:
        assert store.device_id()
        assert store.pending_count() == 0

    assert _user_version(path) == len(store_schema.MIGRATIONS) == 5
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"household", "person", "visit", "interview", "warning", "outbox", "attention"} <= names
    assert {"deferred_tombstone", "sync_state"} <= names


def test_a_later_migration_upgrades_an_existing_file_and_keeps_its_data(path, monkeypatch):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
        device = store.device_id()

    def v2(conn):
        conn.execute("ALTER TABLE household ADD COLUMN colour TEXT DEFAULT 'blue'")

    shipped = len(store_schema.MIGRATIONS)
    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, v2])
    with SQLiteStore(path) as store:
        assert store.household(HH)["head_name"] == "王秀英"
        assert store.device_id() == device
        assert store._conn().execute("SELECT colour FROM household").fetchone()[0] == "blue"
    assert _user_version(path) == shipped + 1


def test_a_version_1_file_keeps_its_outbox_with_no_author(path, monkeypatch):
    monkeypatch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:1])
    with SQLiteStore(path) as store:
        store._conn().execute(
            """INSERT INTO outbox (entity, record_id, household_id, op, payload, created_at,
               updated_at) VALUES ('visit', 'v', 'h', 'upsert', '{}', 'now', 'now')"""
        )
        store._conn().commit()
    monkeypatch.undo()
    with SQLiteStore(path) as store:
        assert store.pending_count() == 1
        assert store.outbox_author(store.pending_mutations()[0]["mutation_id"]) is None
    assert _user_version(path) == len(store_schema.MIGRATIONS)


def test_a_failing_migration_leaves_the_previous_version(path, monkeypatch):
    SQLiteStore(path).close()

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    shipped = len(store_schema.MIGRATIONS)
    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="boom"):
        SQLiteStore(path)

    assert _user_version(path) == shipped
    monkeypatch.undo()
    with SQLiteStore(path) as store:
        tables = store._conn().execute("SELECT name FROM sqlite_master").fetchall()
        assert "half_done" not in {row[0] for row in tables}


def test_a_file_from_a_newer_app_is_refused(path):
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()

    with pytest.raises(store_schema.SchemaTooNew):
        SQLiteStore(path)


def test_a_failure_between_record_and_outbox_writes_neither(path, monkeypatch):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
        saved = store.save_visit(visit_input(notes="original"))

        def fail(*args, **kwargs):
            raise OSError("disk went away")

        monkeypatch.setattr(outbox, "enqueue", fail)
        with pytest.raises(OSError):
            store.save_visit(visit_input())
        with pytest.raises(OSError):
            store.save_visit({**saved, "notes": "edited"})

        assert [v["id"] for v in store.visits_for(HH)] == [saved["id"]]
        assert store.record("visit", saved["id"])["notes"] == "original"
        assert [m["data"]["notes"] for m in store.pending_mutations()] == ["original"]


def test_a_failure_while_applying_a_page_keeps_the_old_cursor(path, monkeypatch):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()), cursor="c1")

        def fail(*args, **kwargs):
            raise OSError("disk went away")

        monkeypatch.setattr(store_rows, "prune_history", fail)
        with pytest.raises(OSError):
            pull(store, change("visit", server_visit(str(uuid.uuid4()))), cursor="c2")

        assert store.cursor() == "c1"
        assert store.visits_for(HH) == []


CHILD = """
import sys
from sync.store import SQLiteStore

store = SQLiteStore(sys.argv[1])
print("ready", flush=True)
last, n = None, 0
while True:
    data = {"household_id": sys.argv[2], "advisor_id": 7, "outcome": "completed",
            "visited_at": "2025-03-10T10:00:00+08:00", "notes": f"visit {n}"}
    if last is not None and n % 3 == 0:
        data.update(id=last, notes=f"edit {n}")  # coalesces into the queued mutation
    last = store.save_visit(data)["id"]
    print(last, flush=True)
    n += 1
"""


def test_a_kill_9_while_writing_leaves_no_torn_write(path):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), HH],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate()
    committed = {line for line in rest.split() if line}

    with SQLiteStore(path) as store:
        conn = store._conn()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            """SELECT v.id, v.data, o.payload FROM visit v
               LEFT JOIN outbox o ON o.entity = 'visit' AND o.record_id = v.id"""
        ).fetchall()
        orphans = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE record_id NOT IN (SELECT id FROM visit)"
        ).fetchone()[0]
        ids = [row["id"] for row in rows]
        assert committed, "the child saved nothing before it was killed"
        assert committed <= set(ids)  # whatever was reported saved survived the kill
        assert len(ids) == len(set(ids))  # exactly one outbox row per visit
        assert orphans == 0
        assert all(row["data"] == row["payload"] for row in rows)  # record and mutation agree
