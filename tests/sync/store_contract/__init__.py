"""The tablet store's contract (DESIGN §5 "Tablet store"), Kinto's pattern.

Every test here uses only the public store API, through the ``store`` / ``make_store``
fixtures of conftest.py, which run it against each implementation in ``IMPLEMENTATIONS``
(today ``SQLiteStore``). One module per topic: saving records, outbox, households, attention
(push results), pull, tombstones (and pruning), state (and reads), crash safety. What
looks inside the SQLite file is in tests/sync/test_sqlite_store.py.
"""
