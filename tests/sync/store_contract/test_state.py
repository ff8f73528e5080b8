"""Sync state and what screens read: the device id, state values, checksums, the due
list."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from sync.schedule import State
from sync.store import StoreError
from tests.sync.store_contract.builders import (
    HH,
    HH2,
    change,
    household_data,
    pull,
    result,
    send_all,
    server_visit,
    visit_input,
)


def test_device_id_is_made_once_and_cannot_be_changed(make_store):
    first = make_store("a")
    other = make_store("b")

    assert first.device_id().startswith("tablet-")
    assert first.device_id() != other.device_id()
    with pytest.raises(StoreError):
        first.set_state("device_id", "tablet-stolen")


def test_state_values_round_trip_as_json(store):
    store.set_state("user", {"id": 7, "name": "李顾问"})
    store.set_state("server_url", "https://tanfang.example/api/v1")

    assert store.get_state("user") == {"id": 7, "name": "李顾问"}
    assert store.get_state("server_url") == "https://tanfang.example/api/v1"
    store.set_state("user", None)
    assert store.get_state("user") is None
    assert store.get_state("never") is None


def test_checksum_is_equal_for_equal_content_in_any_order(make_store):
    one, two = make_store("one"), make_store("two")
    vid = str(uuid.uuid4())
    page = [change("household", household_data()), change("visit", server_visit(vid))]
    one.apply_pull_page(page, "a")
    two.apply_pull_page(page[::-1], "b")

    assert one.checksum() == two.checksum()

    two.apply_pull_page([change("visit", server_visit(vid, version=21, notes="x"))], "c")
    assert one.checksum() != two.checksum()


def test_a_pushed_record_converges_with_another_tablets_copy(make_store):
    mine, theirs = make_store("mine"), make_store("theirs")
    for tablet in (mine, theirs):
        pull(tablet, change("household", household_data()))
    saved = mine.save_visit(visit_input())
    (sent,) = send_all(mine)
    mine.apply_results([result(sent, version=830)])
    # The server's rendering of the record, as both tablets then pull it.
    wire = {k: v for k, v in saved.items() if k not in ("version", "local_state")}
    rendered = {**wire, "version": 830, "review_comment": None}

    for tablet in (mine, theirs):
        pull(tablet, change("visit", rendered))

    assert mine.record("visit", saved["id"])["local_state"] == "synced"
    assert mine.checksum() == theirs.checksum()


def test_checksum_covers_only_synced_records(store):
    before = store.checksum()
    store.save_visit(visit_input(), draft=True)
    store.save_visit(visit_input())

    assert store.checksum() == before


def test_due_list_computes_each_households_status(store):
    hh3, hh4 = str(uuid.uuid4()), str(uuid.uuid4())
    pull(
        store,
        change("visit", server_visit(str(uuid.uuid4()))),  # HH: completed 10 March
        change("household", household_data(HH2, version=41, head_name="李四")),
        change("household", household_data(hh3, version=42, enrolled_on="2025-03-05")),
        change(
            "household",
            household_data(hh4, version=43, visit_cycle=None, hardship_level="low"),
        ),
    )
    store.save_visit(visit_input(HH2), draft=True)  # a draft does not count

    items = store.due_list(date(2025, 3, 20))

    states = {item["household"]["id"]: item["schedule"] for item in items}
    assert states[HH].state == State.DONE
    assert (states[HH2].state, states[HH2].missed_periods) == (State.OVERDUE, 14)
    assert states[hh3].state == State.NEW
    assert states[hh4].cycle == "half_yearly"  # from the default policy
    assert items[0]["household"]["id"] == HH2  # worst first


def test_the_due_list_of_one_household_is_its_item_of_the_whole(store):
    pull(store, change("visit", server_visit(str(uuid.uuid4()))))
    pull(store, change("household", household_data(HH2, version=41, head_name="李四")))
    whole = store.due_list(date(2025, 3, 20))
    for household_id in (HH, HH2):
        mine = [i for i in whole if i["household"]["id"] == household_id]
        assert store.due_list(date(2025, 3, 20), only=household_id) == mine
    assert store.due_list(date(2025, 3, 20), only=str(uuid.uuid4())) == []
