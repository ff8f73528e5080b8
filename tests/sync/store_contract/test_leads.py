"""Leads (走访发现): saved with their outbox row, acknowledged into a receipt, never pulled."""

from __future__ import annotations

import uuid

import pytest
from marshmallow import ValidationError

from sync.store import LeadLocked
from tests.sync.store_contract.builders import HH, change, lead_input, pull, send_all
from tests.sync.store_contract.builders import result as answer


def test_a_saved_lead_is_pending_with_one_upsert_of_its_own(store):
    saved = store.save_lead(lead_input())

    assert uuid.UUID(saved["id"]).version == 4
    assert (saved["local_state"], saved["device_id"]) == ("pending", store.device_id())
    [mutation] = store.pending_mutations()
    assert (mutation["entity"], mutation["op"], mutation["id"]) == ("lead", "upsert", saved["id"])
    assert mutation["data"]["observations"] == "独居老人，屋顶漏水。"
    assert store.leads() == [saved] and store.record("lead", saved["id"]) == saved


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"head_name": ""}, "head_name"),
        ({"residence_address": " "}, "residence_address"),
        ({"observations": ""}, "observations"),
        ({"phone": "12"}, "phone"),
        ({"suggested_categories": ["tekun", "tekun"]}, "suggested_categories"),
        ({"found_at": "2025-03-10T15:00:00"}, "found_at"),
    ],
)
def test_a_bad_lead_is_refused_beside_its_field_and_nothing_is_queued(store, changes, field):
    with pytest.raises(ValidationError) as info:
        store.save_lead(lead_input(**changes))
    assert field in info.value.messages
    assert store.pending_mutations() == [] and store.leads() == []


def test_an_unsent_lead_saved_again_folds_into_its_mutation(store):
    saved = store.save_lead(lead_input())
    store.save_lead({**saved, "phone": "13800138000"})

    [mutation] = store.pending_mutations()
    assert mutation["data"]["phone"] == "13800138000"


def test_an_acknowledged_lead_becomes_a_receipt_that_does_not_change(store):
    saved = store.save_lead(lead_input())
    [sent] = send_all(store)
    store.apply_results([answer(sent, version=77)])

    lead = store.record("lead", saved["id"])
    assert (lead["local_state"], lead["version"]) == ("synced", 77)
    assert store.pending_count() == 0
    with pytest.raises(LeadLocked):
        store.save_lead({**saved, "head_name": "钱多多"})


def test_a_rejected_lead_waits_in_attention_with_the_servers_message(store):
    saved = store.save_lead(lead_input())
    [sent] = send_all(store)
    store.apply_results([answer(sent, "rejected", reason="invalid", errors={"phone": ["Bad."]})])

    assert store.record("lead", saved["id"])["local_state"] == "attention"
    [item] = store.attention_items()
    assert (item["entity"], item["errors"]) == ("lead", {"phone": ["Bad."]})


def test_leads_survive_their_households_tombstones_and_pulls(store):
    saved = store.save_lead(lead_input())
    pull(
        store, change("household", None, id=HH, version=99), change("lead", {"id": "x"}, version=5)
    )

    assert store.household(HH) is None
    assert store.record("lead", saved["id"])["local_state"] == "pending"
    assert store.record("lead", "x") is None  # the pull never sends leads; one is ignored


def test_leads_are_listed_newest_first(store):
    older = store.save_lead(lead_input(found_at="2025-03-09T09:00:00+08:00"))
    newer = store.save_lead(lead_input(found_at="2025-03-10T09:00:00+08:00"))
    assert [lead["id"] for lead in store.leads()] == [newer["id"], older["id"]]
