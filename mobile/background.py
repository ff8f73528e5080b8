"""One worker thread for reads too slow for the UI thread (the due list's recompute)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Worker:
    """Runs ``work()`` jobs in order on one daemon thread (one store connection) and posts
    ``done(result)`` back through ``post`` (the UI thread in the app); ``done(None)`` when
    the work failed (logged)."""

    def __init__(self, post: Callable[[Callable[[], None]], None]) -> None:
        self._post = post
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tanfang-due", daemon=True)
                self._thread.start()
        self._jobs.put((work, done))

    def _run(self) -> None:
        while True:
            work, done = self._jobs.get()
            try:
                result = work()
            except Exception:  # reported, never kills the worker
                log.exception("background read failed")
                result = None  # ``done`` still hears of it: nobody waits for ever

            self._post(lambda d=done, r=result: d(r))
