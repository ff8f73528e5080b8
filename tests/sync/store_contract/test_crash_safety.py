"""Crash safety through the public API: a failed page or result changes nothing, a
reopened store has everything, and threads that write at once all succeed."""

from __future__ import annotations

import threading
import uuid

import pytest

from sync.store import StoreError
from tests.sync.store_contract.builders import (
    HH,
    HH2,
    change,
    household_data,
    person_data,
    pull,
    result,
    send_all,
    server_visit,
    visit_input,
)


def test_a_malformed_change_rolls_back_the_page_and_its_cursor(store):
    vid = str(uuid.uuid4())
    bad = {"entity": "visit", "id": str(uuid.uuid4()), "version": "7", "data": {}}

    with pytest.raises(ValueError, match="integer version"):
        pull(store, change("visit", server_visit(vid)), bad, cursor="c9")

    assert store.cursor() == "c0"
    assert store.record("visit", vid) is None


def test_an_unknown_result_status_changes_nothing(store):
    store.save_visit(visit_input())
    (sent,) = send_all(store)

    with pytest.raises(StoreError, match="unknown push result"):
        store.apply_results([result(sent, "maybe")])

    assert [m["mutation_id"] for m in store.pending_mutations()] == [1]


def test_reopening_keeps_everything_and_never_reuses_mutation_ids(make_store):
    store = make_store()
    pull(store, change("household", household_data()), cursor="c5")
    store.set_state("token", "secret")
    device = store.device_id()
    first = store.save_visit(visit_input())
    store.apply_results([result(m, "rejected", reason="invalid") for m in send_all(store)])
    checksum = store.checksum()
    store.close()

    store = make_store()  # the same tablet, opened again

    assert (store.cursor(), store.get_state("token"), store.device_id()) == (
        "c5",
        "secret",
        device,
    )
    assert store.checksum() == checksum
    assert store.record("visit", first["id"])["local_state"] == "attention"
    assert [item["mutation_id"] for item in store.attention_items()] == [1]
    store.save_visit(visit_input())
    assert [m["mutation_id"] for m in store.pending_mutations()] == [2]


def test_concurrent_writers_wait_instead_of_failing(store):
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(15):
                store.save_visit(visit_input())
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert store.pending_count() == 60
    assert [m["mutation_id"] for m in store.pending_mutations()] == list(range(1, 61))


def test_a_second_thread_syncs_while_the_ui_thread_saves(store):
    failures: list[BaseException] = []
    # Members arrive for another household, so no page prunes HH's visits beyond 12.
    pull(store, change("household", household_data(HH2, version=40)))

    def sync_thread() -> None:
        try:
            for n in range(20):
                person = person_data(str(uuid.uuid4()), HH2, version=200 + n)
                pull(store, change("person", person), cursor=f"t{n}")
                sent = send_all(store)
                store.apply_results([result(m, version=500 + n) for m in sent])
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    worker = threading.Thread(target=sync_thread)
    worker.start()
    saved = [store.save_visit(visit_input(notes=f"n{n}"))["id"] for n in range(20)]
    worker.join()
    store.apply_results([result(m, version=900) for m in send_all(store)])

    assert failures == []
    assert store.cursor() == "t19"
    assert len(store.household(HH2)["persons"]) == 20
    assert store.pending_count() == 0
    assert {v["id"]: v["local_state"] for v in store.visits_for(HH)} == dict.fromkeys(
        saved, "synced"
    )
