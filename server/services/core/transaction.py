"""The one transaction rule: services flush, never commit; their caller ends the unit here.

A view (through the API's Blueprint), a CLI command or a test runs the services it calls
inside ``unit_of_work(session)``: the block commits as one transaction when it ends and
rolls back if it raises, so a refusal leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, scoped_session

from server.services.core.errors import ServiceError


@contextmanager
def unit_of_work(session: Session, *, snapshot: bool = False) -> Iterator[Session]:
    """Run the block as one transaction: commit at its end, roll back if it raises.

    A refusal that keeps its changes (:attr:`ServiceError.keeps_changes`, a failed sign-in)
    is committed before it propagates. With ``snapshot`` every read of the block comes from
    one snapshot (REPEATABLE READ on PostgreSQL; an SQLite transaction is one already), so
    the block must start the session's transaction: end the previous unit first.
    """
    if snapshot:
        _begin_snapshot(session)
    try:
        yield session
    except ServiceError as refusal:
        if refusal.keeps_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    session.commit()


def _begin_snapshot(session: Session) -> None:
    if isinstance(session, scoped_session):
        session = session()  # the registry's Session (Flask-SQLAlchemy's db.session)
    if session.in_transaction():
        # The isolation level can only be chosen before a transaction's first statement.
        raise RuntimeError("A snapshot needs its own transaction; end the current unit first.")
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
