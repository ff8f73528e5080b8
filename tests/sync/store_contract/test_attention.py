"""Push results: applied and duplicate sync the record; conflicts and rejections wait
in "needs attention" and are never retried."""

from __future__ import annotations

import pytest

from sync.store import RecordLocked, StoreError
from tests.sync.store_contract.builders import (
    HH,
    household_data,
    result,
    send_all,
    visit_input,
)


@pytest.mark.parametrize("status", ["applied", "duplicate"])
def test_applied_or_duplicate_leaves_the_outbox_and_syncs_the_record(store, status):
    saved = store.save_visit(visit_input())
    (sent,) = send_all(store)

    store.apply_results([result(sent, status, version=830)])

    assert store.pending_count() == 0
    stored = store.record("visit", saved["id"])
    assert (stored["local_state"], stored["version"], stored["notes"]) == (
        "synced",
        830,
        "情况稳定",
    )
    assert store.attention_items() == []


def test_an_acknowledged_record_with_a_later_edit_stays_pending(store):
    saved = store.save_visit(visit_input())
    (first,) = send_all(store)
    store.save_visit({**saved, "notes": "in flight edit"})

    store.apply_results([result(first, version=830)])

    stored = store.record("visit", saved["id"])
    assert (stored["local_state"], stored["version"], stored["notes"]) == (
        "pending",
        830,
        "in flight edit",
    )
    assert [m["mutation_id"] for m in store.pending_mutations()] == [2]
    # Now the server holds it as submitted: under review, so locked on the tablet.
    with pytest.raises(RecordLocked):
        store.save_visit({**saved, "notes": "third"})


def test_a_household_conflict_goes_to_attention_with_the_server_values(store):
    store.update_household(HH, {"phone": "13900000000", "notes": "mine"})
    (sent,) = send_all(store)
    server = household_data(version=840, phone="13700000000", notes="mine")

    store.apply_results([result(sent, "conflict", fields=["phone"], server=server)])

    assert store.pending_mutations() == []
    (item,) = store.attention_items()
    assert (item["entity"], item["record_id"], item["status"]) == ("household", HH, "conflict")
    assert item["errors"] == {"phone": ["Changed on the server too; the server's value was kept."]}
    assert item["server"]["phone"] == "13700000000"
    assert item["payload"] == {"phone": "13900000000", "notes": "mine"}
    shown = store.household(HH)
    assert (shown["local_state"], shown["phone"], shown["version"]) == (
        "attention",
        "13700000000",
        840,
    )

    assert store.dismiss_attention(item["id"]) is True
    assert store.household(HH)["local_state"] == "synced"
    assert store.attention_items() == []
    assert store.dismiss_attention(item["id"]) is False


def test_a_rejected_visit_is_kept_for_attention_and_never_retried(store):
    saved = store.save_visit(visit_input())
    (sent,) = send_all(store)
    errors = {"persons_met": ["Unknown member."]}

    store.apply_results([result(sent, "rejected", reason="invalid", errors=errors)])

    assert store.pending_mutations() == []
    (item,) = store.attention_items()
    assert (item["status"], item["reason"], item["errors"]) == ("rejected", "invalid", errors)
    assert item["payload"]["id"] == saved["id"]
    assert store.record("visit", saved["id"])["local_state"] == "attention"

    store.dismiss_attention(item["id"])

    # Never on the server, nothing pending: it becomes a draft, not a loss.
    stored = store.record("visit", saved["id"])
    assert (stored["local_state"], stored["status"], stored["notes"]) == (
        "draft",
        "draft",
        "情况稳定",
    )


def test_results_for_mutations_already_answered_are_ignored(store):
    saved = store.save_visit(visit_input())
    (sent,) = send_all(store)
    store.apply_results([result(sent, version=830)])

    store.apply_results([result(sent, version=830), {"mutation_id": 99, "status": "applied"}])

    assert store.record("visit", saved["id"])["local_state"] == "synced"


def test_a_result_for_a_never_sent_mutation_is_an_error(store):
    store.save_visit(visit_input())
    (queued,) = store.pending_mutations()

    with pytest.raises(StoreError, match="never sent"):
        store.apply_results([result(queued, version=830)])
    assert store.pending_count() == 1
