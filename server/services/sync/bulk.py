"""Push: the batch's new records, audit events and answers, written with Core executemany.

A push of 1,000 visits through ORM objects spent more time building objects and running the
unit of work than the database spent inserting. The rows a push *creates* need none of the
ORM: they are collected here as plain values and inserted with one statement per table,
numbered from the version counter by :func:`server.services.sync.versioning.next_versions`
(the counter's row lock is then held until commit, so version order stays commit order).
Rows a push *changes* (corrections, household edits) stay ORM objects, stamped as usual.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from server.models import AuditEvent
from server.services.sync import versioning


@dataclass
class Pending:
    """A record this batch creates, as later mutations of the same batch (and the answer's
    version) see it — what the ORM row would have told them."""

    advisor_id: int
    household_id: uuid.UUID
    status: str
    payload_hash: str
    version: int = 0


def _defaults(model) -> dict[str, Any]:
    """Each column's default as a function of nothing, as the ORM fills a missing attribute
    (called per row: a list default must not be shared)."""
    factories: dict[str, Any] = {}
    for column in model.__table__.columns:
        default = None if column.primary_key else column.default
        if default is None:
            factories[column.name] = lambda: None
        elif default.is_callable:
            factories[column.name] = lambda arg=default.arg: arg(None)  # takes a context
        else:
            factories[column.name] = lambda arg=default.arg: arg
    return factories


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """Insert ``rows`` (all with the same keys): ``COPY`` on PostgreSQL with psycopg, one
    executemany elsewhere.

    (A multi-row ``INSERT … VALUES`` was measured slower than either: SQLAlchemy compiles
    it afresh for every batch of 30,000 parameters.)
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy(connection, model.__table__, rows)
    else:
        connection.execute(insert(model.__table__), rows)


def _copy(connection, table, rows: list[dict]) -> None:
    """``COPY … FROM STDIN`` of ``rows``, each value through its column type's own bind
    processing first (aware times, JSON, closed codes: the same checks as an INSERT).
    A refusal is raised as SQLAlchemy's (a constraint's as its IntegrityError), so the
    caller's savepoint fallback takes it."""
    import psycopg

    names = list(rows[0])
    dialect = connection.dialect
    processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    steps = list(zip(names, processors, strict=True))
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([p(row[n]) if p else row[n] for n, p in steps])
    except psycopg.IntegrityError as error:
        # As an INSERT's would be: callers tell a unique index's refusal by this class.
        raise IntegrityError(sql, None, error) from error
    except (psycopg.Error, ValueError, LookupError, TypeError) as error:
        raise StatementError(str(error), sql, None, error) from error


class Bulk:
    """What the batch inserts, in mutation order, until :meth:`write`."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, dict, Pending]] = []
        self.pending: dict[uuid.UUID, Pending] = {}
        self.audits: list[dict] = []
        self._defaults: dict[Any, dict] = {}

    def add_record(self, model, values: dict) -> Pending:
        """Queue a new record (``values``: model attributes; ``location`` as on the wire)."""
        if model not in self._defaults:
            self._defaults[model] = _defaults(model)
        row = {
            name: values[name] if name in values else default()
            for name, default in self._defaults[model].items()
        }
        mapping = getattr(model, "location", None)
        if isinstance(mapping, property) and "location" in values:
            # The model's own setter says which columns a fix fills.
            holder = SimpleNamespace()
            mapping.fset(holder, values["location"])
            row.update(vars(holder))
        handle = Pending(row["advisor_id"], row["household_id"], row["status"], row["payload_hash"])
        self.records.append((model, row, handle))
        self.pending[row["id"]] = handle
        return handle

    def checkpoint(self) -> tuple[int, int, int]:
        """A mark to :meth:`undo` back to, taken before one mutation."""
        return len(self.pending), len(self.records), len(self.audits)

    def undo(self, mark: tuple[int, int, int]) -> None:
        """Forget what was queued (or written, in a savepoint since rolled back) after
        ``mark``, so later mutations of the batch do not take it for stored."""
        pending, records, audits = mark
        for record_id in list(self.pending)[pending:]:
            del self.pending[record_id]
        del self.records[records:]
        del self.audits[audits:]

    def get(self, record_id: uuid.UUID) -> Pending | None:
        """The record this batch creates under ``record_id``, if any."""
        return self.pending.get(record_id)

    def add_audit(
        self, *, actor_id, action: str, entity: str, entity_id, now: datetime, device_id, diff
    ) -> None:
        """Queue one audit event (``diff`` already JSON-safe)."""
        self.audits.append(
            {
                "actor_id": actor_id,
                "device_id": device_id,
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "diff": diff,
                "at": now,
            }
        )

    def write(self, session: Session) -> None:
        """Number the queued records in mutation order and insert everything queued."""
        if self.records:
            with session.no_autoflush:
                top = versioning.next_versions(session, len(self.records))
            by_model: dict[Any, list[dict]] = {}
            for offset, (model, row, handle) in enumerate(self.records):
                row["version"] = handle.version = top - len(self.records) + 1 + offset
                by_model.setdefault(model, []).append(row)
            for model, rows in by_model.items():
                insert_rows(session, model, rows)
        insert_rows(session, AuditEvent, self.audits)
        self.records = []
        self.audits = []
