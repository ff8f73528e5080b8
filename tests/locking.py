"""Race tests on PostgreSQL: run a write on its own connection, see it wait on a lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Long enough for a loaded CI machine; a lock that is never awaited fails well before.
TIMEOUT = 20.0
_POLL = 0.01

_WAITING_ON = text(
    "SELECT pid FROM pg_stat_activity WHERE CAST(:blocker AS integer) = ANY(pg_blocking_pids(pid))"
)


def backend_pid(session: Session) -> int:
    """The PostgreSQL backend serving ``session``'s connection (opens its transaction)."""
    return session.scalar(text("SELECT pg_backend_pid()"))


class Racer:
    """``work(session)`` run in a thread on a Session of its own, committed when it
    returns; its result (or the exception it raised) kept for the test."""

    def __init__(self, engine: Engine, work: Callable[[Session], Any]):
        self.engine, self.work = engine, work
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Racer:
        self.thread.start()
        return self

    def _run(self) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                self.result = self.work(session)
                session.commit()
            except BaseException as error:  # the test reports it
                session.rollback()
                self.error = error
            finally:
                self.done.set()

    def join(self) -> Any:
        """Wait for the work to end; its result, or its exception raised here."""
        assert self.thread.join(TIMEOUT) is None and not self.thread.is_alive(), "still running"
        if self.error is not None:
            raise self.error
        return self.result


def wait_until_blocked(engine: Engine, blocker: int, racer: Racer) -> int:
    """Poll until some backend waits on a lock held by backend ``blocker`` (the racer's,
    normally); returns its pid. Fails if the racer ends first: it never waited."""
    deadline = time.monotonic() + TIMEOUT
    with engine.connect() as observer:
        while time.monotonic() < deadline:
            waiting = observer.execute(_WAITING_ON, {"blocker": blocker}).scalars().first()
            observer.rollback()  # each poll reads a fresh snapshot
            if waiting is not None:
                return waiting
            if racer.done.wait(_POLL):
                racer.join()  # its error, if it failed
                raise AssertionError("the racer finished without waiting for the lock")
    raise AssertionError("nobody waited for the lock")
