"""The store fixtures, parametrized by implementation: a second store plugs into every
contract test by adding one entry to ``IMPLEMENTATIONS``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sync.store import SQLiteStore
from tests.sync.store_contract.builders import Clock, change, household_data, person_data, pull


def _sqlite(directory: Path, name: str) -> SQLiteStore:
    return SQLiteStore(directory / f"{name}.sqlite3", clock=Clock())


def _sqlcipher(directory: Path, name: str) -> SQLiteStore:
    key = hashlib.sha256(name.encode()).digest()  # a store reopened by name gets its own key
    return SQLiteStore(directory / f"{name}.sqlite3", clock=Clock(), key=key)


# The tablet app's store is the SQLCipher one; the plain one serves the server's tools.
IMPLEMENTATIONS = {"sqlite": _sqlite, "sqlcipher": _sqlcipher}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make_store(request, tmp_path):
    """Open (or reopen) a store by name; every store opened is closed after the test."""
    opened = []

    def make(name: str = "tablet"):
        store = IMPLEMENTATIONS[request.param](tmp_path, name)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store):
    """A store holding household HH (version 10, monthly) with one member, cursor "c0"."""
    store = make_store()
    pull(store, change("household", household_data()), change("person", person_data()), cursor="c0")
    return store
