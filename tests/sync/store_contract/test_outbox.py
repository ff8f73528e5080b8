"""The outbox: one mutation per unsent record, sent in order, with its attempts shown."""

from __future__ import annotations

from datetime import datetime

import pytest

from sync.store import StoreError
from tests.sync.store_contract.builders import (
    interview_input,
    send_all,
    visit_input,
)


def test_edits_before_sending_coalesce_into_one_mutation(store):
    saved = store.save_visit(visit_input())
    store.save_visit({**saved, "notes": "second"})
    store.save_visit({**saved, "notes": "third"})

    mutations = store.pending_mutations()
    assert [(m["mutation_id"], m["data"]["notes"]) for m in mutations] == [(1, "third")]
    assert store.record("visit", saved["id"])["notes"] == "third"


def test_an_edit_after_sending_queues_a_new_mutation(store):
    saved = store.save_visit(visit_input())
    send_all(store)

    store.save_visit({**saved, "notes": "corrected"})

    mutations = store.pending_mutations()
    assert [(m["mutation_id"], m["data"]["notes"]) for m in mutations] == [
        (1, "情况稳定"),
        (2, "corrected"),
    ]


def test_mark_sent_returns_the_payload_as_of_marking(store):
    saved = store.save_visit(visit_input())
    peeked = store.pending_mutations()
    store.save_visit({**saved, "notes": "edited between peek and send"})

    sent = store.mark_sent([m["mutation_id"] for m in peeked])

    assert peeked[0]["data"]["notes"] == "情况稳定"
    assert [m["data"]["notes"] for m in sent] == ["edited between peek and send"]
    assert sent == store.pending_mutations()


def test_mark_sent_refuses_to_skip_an_older_unanswered_mutation(store):
    for _ in range(3):
        store.save_visit(visit_input())

    with pytest.raises(StoreError, match="mutation 1 must be sent before 2"):
        store.mark_sent([2])
    assert store.mark_sent([]) == []
    assert [m["mutation_id"] for m in store.mark_sent([1])] == [1]
    # Sent but unanswered: it may never have arrived, so it goes again with the next one.
    with pytest.raises(StoreError, match="mutation 1 must be sent before 3"):
        store.mark_sent([2, 3])
    assert [m["mutation_id"] for m in store.mark_sent([1, 2, 3])] == [1, 2, 3]


def test_outbox_items_show_attempts_and_the_last_error(store):
    store.save_visit(visit_input())
    store.save_visit(visit_input())
    store.mark_sent([1])

    store.mark_failed([1], "timed out")

    items = store.outbox_items()
    assert [(i["mutation_id"], i["state"], i["attempts"], i["last_error"]) for i in items] == [
        (1, "sent", 1, "timed out"),
        (2, "queued", 0, None),
    ]
    assert items[0]["data"] == store.pending_mutations()[0]["data"]


def test_pending_count_and_oldest_pending_at(store):
    assert (store.pending_count(), store.oldest_pending_at()) == (0, None)

    store.save_visit(visit_input())
    first = store.oldest_pending_at()
    store.save_interview(interview_input())

    assert store.pending_count() == 2
    assert store.oldest_pending_at() == first
    assert datetime.fromisoformat(first).tzinfo is not None
