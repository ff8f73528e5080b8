"""The one context every store function takes: an open local transaction and its stamps."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Tx:
    """A transaction :class:`sync.store.SQLiteStore` has begun and will commit or roll back.

    Functions given one run their statements on ``conn`` and never commit: whatever one
    store call writes commits together or not at all.
    """

    conn: sqlite3.Connection
    # The transaction's time (UTC, ISO), read once: its writes commit at one instant, and
    # a pulled page's rows compare equal whichever rule wrote them.
    now: str
    # This tablet's id, made with the store file; fills a new record's ``device_id``.
    device_id: str
    # The signed-in advisor's user id (None before sign-in): a new record's advisor and the
    # author of each outbox row queued in this transaction.
    author_id: int | None
