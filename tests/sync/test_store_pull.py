"""The store's pull page: the executemany path stores exactly what the rules, applied one
change at a time, store — for new, older, locally edited, repeated and deleted records."""

from __future__ import annotations

import uuid

import pytest

from sync.store import SQLiteStore
from sync.store import pull as store_pull
from tests.sync.store_contract.builders import (
    HH,
    HH2,
    Clock,
    change,
    household_data,
    person_data,
    pull,
    server_visit,
    visit_input,
    warning_data,
)

V1, V2, V3 = (str(uuid.UUID(int=n)) for n in (1, 2, 3))
W1, DRAFT = (str(uuid.UUID(int=n)) for n in (9, 10))
TABLES = ("household", "person", "visit", "interview", "warning", "outbox", "deferred_tombstone")


def _prepared(path) -> SQLiteStore:
    """A store holding HH with a member and a visit, a pending household edit and a draft."""
    store = SQLiteStore(path, clock=Clock())
    pull(
        store,
        change("household", household_data()),
        change("person", person_data()),
        change("visit", server_visit(V1, version=20)),
        cursor="c0",
    )
    store.update_household(HH, {"phone": "13900139000"})
    store.save_visit({**visit_input(), "id": DRAFT}, draft=True)
    return store


PAGES = {
    "new records": [
        change("household", household_data(HH2, version=40)),
        change("visit", server_visit(V2, hid=HH2, version=41)),
        change("warning", warning_data(W1, hid=HH2, version=42)),
    ],
    "older, newer and locally edited": [
        change("visit", server_visit(V1, version=5)),
        change("person", person_data(version=50)),
        change("household", household_data(version=51, phone="13700137000")),
        change("visit", server_visit(V3, version=52)),
    ],
    "an id twice, then a tombstone": [
        change("visit", server_visit(V2, hid=HH2, version=60)),
        change("household", household_data(HH2, version=61)),
        change("visit", server_visit(V2, hid=HH2, version=62, notes="再次")),
        change("household", None, id=HH2, version=63, reason="unassigned"),
        change("visit", server_visit(V3, version=64)),
    ],
    "a busy household's tombstone waits": [
        change("household", None, id=HH, version=70, reason="unassigned"),
        change("warning", warning_data(W1, version=71)),
    ],
}


def _contents(store: SQLiteStore) -> dict[str, list[tuple]]:
    """Every row of the record tables, the store's own (random) device id left out."""
    device = store.device_id()

    def cell(value):
        return value.replace(device, "DEVICE") if isinstance(value, str) else value

    with store._read() as conn:
        return {
            t: sorted(tuple(map(cell, r)) for r in conn.execute(f"SELECT * FROM {t}"))
            for t in TABLES
        }


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_page_stores_what_one_change_at_a_time_stores(name, tmp_path, monkeypatch):
    fast, slow = _prepared(tmp_path / "fast.db"), _prepared(tmp_path / "slow.db")
    counts_fast = pull(fast, *PAGES[name])
    monkeypatch.setattr(store_pull, "_stored", lambda conn, changes: None)  # rules only
    counts_slow = pull(slow, *PAGES[name])
    assert counts_fast == counts_slow
    assert _contents(fast) == _contents(slow)
    fast.close()
    slow.close()
