"""Scratch PostgreSQL databases for the benchmarks: create, migrate, label, COPY-load, explain."""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from sqlalchemy.engine import make_url

# --- scratch databases -------------------------------------------------------------------


def conninfo(url: str, database: str | None = None) -> str:
    """A psycopg connection string for an SQLAlchemy URL (optionally another database)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def require_scratch(url: str) -> str:
    """The database name of ``url``, refusing any name without "bench" in it.

    Benchmarks drop and recreate their database; the guard keeps a mistyped URL from
    wiping a shared one (such as the test suite's ``test``).
    """
    name = make_url(url).database or ""
    if make_url(url).get_backend_name() != "postgresql" or "bench" not in name:
        sys.exit(f"refusing {url!r}: benchmarks need a PostgreSQL database named *bench*")
    return name


def recreate_database(url: str) -> None:
    """Drop (closing its connections) and create the database of ``url``: empty, unmigrated."""
    name = require_scratch(url)
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    """Whether the database of ``url`` exists on its server."""
    name = require_scratch(url)
    with psycopg.connect(conninfo(url, "postgres")) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def drop_database(url: str) -> None:
    """Drop the database of ``url`` (closing its connections) to free the disk."""
    name = require_scratch(url)
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    """Create the schema with the real Alembic migrations, as ``tanfang db upgrade`` does."""
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db

    # The app insists on an instance folder; keep it out of the working tree.
    os.environ.setdefault("TANFANG_INSTANCE_PATH", tempfile.mkdtemp(prefix="tanfang-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()


def read_marker(url: str) -> dict | None:
    """The marker :func:`write_marker` left on the database of ``url``, if the database
    exists, has one and is migrated to the current head (else None: build it again)."""
    if not database_exists(url):
        return None
    from alembic.script import ScriptDirectory

    from server.app import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with psycopg.connect(conninfo(url)) as conn:
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        ).fetchone()[0]
        migrated = conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0]
        revision = migrated and conn.execute("SELECT version_num FROM alembic_version").fetchone()
    if not comment or not comment.startswith("bench ") or revision != (head,):
        return None
    return json.loads(comment[len("bench ") :])


def write_marker(url: str, marker: dict) -> None:
    """Label the database of ``url`` with what was loaded into it (a JSON comment)."""
    name = require_scratch(url)
    text = json.dumps(marker).replace("'", "''")
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS 'bench {text}'")


# --- bulk loading --------------------------------------------------------------------------


class Progress:
    """Counts rows loaded into one table and prints rows/s every few seconds."""

    def __init__(self, table: str, expected: int | None = None, every: float = 5.0):
        self.table, self.expected, self.every = table, expected, every
        self.rows = 0
        self.started = self.shown = time.perf_counter()

    def add(self, n: int) -> None:
        """Count ``n`` more rows; print a line if it is time to."""
        self.rows += n
        now = time.perf_counter()
        if now - self.shown >= self.every:
            self.shown = now
            self._print(now, "")

    def done(self) -> float:
        """Print the final line; return the seconds taken."""
        now = time.perf_counter()
        self._print(now, " done")
        return now - self.started

    def _print(self, now: float, tail: str) -> None:
        elapsed = max(now - self.started, 1e-9)
        share = f" / {self.expected:,}" if self.expected else ""
        print(
            f"  {self.table:<14} {self.rows:>12,}{share} rows  {elapsed:7.1f} s  "
            f"{self.rows / elapsed:>10,.0f} rows/s{tail}",
            flush=True,
        )


def copy_lines(
    cur: psycopg.Cursor,
    table: str,
    columns: Iterable[str],
    chunks: Iterable[list[str]],
    expected: int | None = None,
) -> int:
    """COPY text-format ``chunks`` (lists of tab-separated lines) into ``table``.

    FREEZE writes the rows already frozen and all-visible, so the VACUUM after the load
    does not rewrite every page; it needs the table truncated in the same transaction.
    Values must not hold tabs, newlines or backslashes (nothing is escaped).
    """
    progress = Progress(table, expected)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)"
    with cur.copy(statement) as copy:
        for chunk in chunks:
            copy.write("".join(chunk))
            progress.add(len(chunk))
    progress.done()
    return progress.rows


@dataclass
class DeferredKeys:
    """Indexes and key constraints of some tables, dropped for a load and then rebuilt.

    Building an index once over sorted input is far cheaper than maintaining it row by row
    (random UUID keys touch a random leaf page each), and a foreign key validated once is
    one join instead of one lookup per row. ``restore`` rebuilds exactly what was dropped.
    """

    tables: tuple[str, ...]
    indexes: list[tuple[str, str]] = field(default_factory=list)
    constraints: list[tuple[str, str, str, str]] = field(default_factory=list)

    def drop(self, cur: psycopg.Cursor) -> None:
        """Remember and drop the tables' plain indexes, keys and foreign keys (both ways)."""
        self.indexes = cur.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i
               WHERE i.indrelid::regclass::text = ANY(%s)
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
               ORDER BY 1""",
            (list(self.tables),),
        ).fetchall()
        # Foreign keys first (they depend on the keys), from tables referencing ours too.
        self.constraints = cur.execute(
            """SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
               FROM pg_constraint
               WHERE contype IN ('p', 'u', 'f')
                 AND (conrelid::regclass::text = ANY(%s)
                      OR (contype = 'f' AND confrelid::regclass::text = ANY(%s)))
               ORDER BY contype = 'f' DESC, conname""",
            (list(self.tables), list(self.tables)),
        ).fetchall()
        for name, _ in self.indexes:
            cur.execute(f"DROP INDEX {name}")
        for table, name, _, _ in self.constraints:
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")

    def restore(self, cur: psycopg.Cursor) -> None:
        """Rebuild keys, then foreign keys, then plain indexes, printing each one's time."""
        keys = [c for c in self.constraints if c[2] != "f"]
        foreign = [c for c in self.constraints if c[2] == "f"]
        for table, name, _, definition in keys + foreign:
            _timed_ddl(cur, f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}", name)
        for name, definition in self.indexes:
            _timed_ddl(cur, definition, name)


def _timed_ddl(cur: psycopg.Cursor, statement: str, name: str) -> None:
    started = time.perf_counter()
    cur.execute(statement)
    print(f"  built {name:<55} {time.perf_counter() - started:7.1f} s", flush=True)


@contextmanager
def bulk_load(url: str, deferred: tuple[str, ...], tables: tuple[str, ...]) -> Iterator:
    """A fresh, migrated database and a cursor to COPY ``tables`` into, in one transaction.

    The indexes and keys of the ``deferred`` tables are dropped first and rebuilt after the
    load, which must leave exactly the migration's; then VACUUM ANALYZE, because in
    production autovacuum keeps the visibility map set, which is what lets PostgreSQL
    answer from an index alone.
    """
    recreate_database(url)
    migrate(url)
    with psycopg.connect(conninfo(url)) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        migrated = schema_snapshot(cur)
        keys = DeferredKeys(deferred)
        keys.drop(cur)
        # COPY ... FREEZE needs its table truncated in the loading transaction.
        cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        yield cur
        conn.commit()
        print("rebuilding indexes and keys", flush=True)
        cur.execute("SET maintenance_work_mem = '1GB'")
        keys.restore(cur)
        rebuilt = schema_snapshot(cur)
        conn.commit()
        if rebuilt != migrated:
            raise SystemExit("the rebuilt indexes and keys differ from the migration's")
        conn.autocommit = True
        started = time.perf_counter()
        cur.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        print(f"  vacuum analyze {time.perf_counter() - started:7.1f} s", flush=True)


def explain(engine, call: Callable[[], object]) -> None:
    """Run ``call`` once, then print EXPLAIN (ANALYZE, BUFFERS) of every statement it sent."""
    from sqlalchemy import event

    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        for statement, parameters in captured:
            print("\n" + statement)
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print("\n".join(row[0] for row in plan))


def schema_snapshot(cur: psycopg.Cursor) -> list[str]:
    """Every index and constraint definition of the public schema, sorted (for comparing)."""
    rows = cur.execute(
        """SELECT indexrelid::regclass::text || ': ' || pg_get_indexdef(indexrelid)
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
           WHERE t.relnamespace = 'public'::regnamespace
           UNION ALL
           SELECT conrelid::regclass::text || '.' || conname || ': '
                  || pg_get_constraintdef(oid)
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace"""
    ).fetchall()
    return sorted(r[0] for r in rows)
