"""The store file's SQLite connections, one per thread, and the transactions on them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sync.store import cipher
from sync.store.errors import StoreError


class Connections:
    """Every connection to the store file at ``path``, one per thread.

    The Kivy UI thread and the sync thread then never share a connection or a transaction;
    WAL lets the UI read while the sync thread writes, and writers queue on SQLite's own
    lock (``BEGIN IMMEDIATE`` + busy timeout, so no lock upgrades and no deadlocks) instead
    of on a Python lock held across I/O.
    """

    def __init__(self, path: str, timeout: float, key: bytes | None = None) -> None:
        self.path, self.timeout = path, timeout
        # The SQLCipher data key (32 random bytes) or None for a plain SQLite file (the
        # server's tools and tests); the tablet app always passes one.
        self._key = key
        self._local = threading.local()
        # Every connection with the thread that owns it, so close() reaches them all and a
        # finished thread's connection is closed instead of leaking.
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._registry = threading.Lock()
        self._closed = False

    def open(self) -> sqlite3.Connection:
        """Open one connection: the only place that does, so SQLCipher can key it here.

        With SQLCipher, ``PRAGMA key`` goes first, before any other statement.
        """
        driver = sqlite3 if self._key is None else cipher.driver()
        conn = driver.connect(
            self.path,
            timeout=self.timeout,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,  # used by one thread only; close() may come from another
        )
        try:
            if self._key is not None:
                cipher.key_connection(conn, self._key)
            conn.row_factory = driver.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"{self.path}: cannot use WAL journal mode (got {mode})")
            # WAL+NORMAL survives a killed process (committed frames are in the OS cache)
            # but not a power cut or a pulled battery, which can lose the last commits — a
            # visit the advisor was told was saved. FULL costs one fsync per commit, and
            # commits are one per save and one per pull page, so a saved visit is on flash
            # before save_visit returns at no visible cost.
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def current(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if self._closed:
            raise StoreError("the store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.open()
            self._local.conn = conn
            with self._registry:
                alive = []
                for thread, other in self._connections:
                    if thread.is_alive():
                        alive.append((thread, other))
                    else:
                        other.close()  # its thread has ended and can no longer use it
                alive.append((threading.current_thread(), conn))
                self._connections = alive
        return conn

    @contextmanager
    def transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """Run ``begin`` on this thread's connection; commit on success, else roll back."""
        conn = self.current()
        if conn.in_transaction:
            raise StoreError("store methods must not be called inside another store call")
        conn.execute(begin)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close every connection, from any thread; no other thread may be using one."""
        self._closed = True
        with self._registry:
            for _thread, conn in self._connections:
                conn.close()
            self._connections.clear()
