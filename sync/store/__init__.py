"""The tablet's local store: :class:`SQLiteStore` on top, plain functions by topic below."""

from sync.store.errors import LeadLocked, RecordLocked, StoreError, UnknownRecord
from sync.store.facade import SQLiteStore

# The layers, top down: facade (SQLiteStore, its reads in reading.Reading, opens each
# transaction and builds a Tx) →
# saving, leads, pull, repull, push, attention, handover, read (functions taking a Tx) →
# state (a record's transitions) and outbox → rows (SQL on a bare connection) and schema.
__all__ = ["LeadLocked", "RecordLocked", "SQLiteStore", "StoreError", "UnknownRecord"]
