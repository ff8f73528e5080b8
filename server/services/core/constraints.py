"""Which database rule a refused write broke, so a service can answer it as a field error."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def broke(error: IntegrityError, index: str, table: str, column: str) -> bool:
    """Whether ``error`` is the unique ``index`` (on ``table.column``) refusing a row.

    PostgreSQL names the index; SQLite names only the column ("UNIQUE constraint failed:
    person.id_number"), which is enough where one unique index covers that column.
    """
    diag = getattr(error.orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None) == index
    return f"UNIQUE constraint failed: {table}.{column}" in str(error.orig)


@contextmanager
def flushed(session: Session):
    """Flush what the block adds in a savepoint, so a refusal leaves the transaction usable
    for the caller's answer (raised as :class:`IntegrityError` after the rollback)."""
    with session.begin_nested():
        yield
        session.flush()
