"""Tombstones and pruning: a household leaves with its bundle, but only once nothing is
pending, drafted or waiting for the advisor's attention; history is kept to 12 records."""

from __future__ import annotations

import uuid

from tests.sync.store_contract.builders import (
    HH,
    HH2,
    PERSON,
    change,
    household_data,
    interview_input,
    pull,
    result,
    send_all,
    server_visit,
    visit_input,
    warning_data,
)


def test_a_household_tombstone_drops_the_whole_bundle(store):
    vid, wid = str(uuid.uuid4()), str(uuid.uuid4())
    interview = {**interview_input(), "id": str(uuid.uuid4()), "device_id": "t", "version": 32}
    pull(
        store,
        change("visit", server_visit(vid)),
        change("interview", interview),
        change("warning", warning_data(wid)),
        change("household", household_data(HH2, version=40)),
    )

    counts = pull(store, change("household", None, id=HH, version=90, reason="unassigned"))

    assert counts["deleted"] == 1
    assert store.household(HH) is None
    assert store.visits_for(HH) == store.interviews_for(HH) == store.open_warnings() == []
    assert [h["id"] for h in store.households()] == [HH2]


def test_a_household_tombstone_waits_for_pending_pushes(store):
    saved = store.save_visit(visit_input())

    counts = pull(store, change("household", None, id=HH, version=90, reason="unassigned"))

    assert counts["deferred"] == 1
    assert store.household(HH) is not None
    (sent,) = send_all(store)
    store.apply_results([result(sent, version=95)])
    assert store.household(HH) is None
    assert store.record("visit", saved["id"]) is None


def test_a_household_tombstone_waits_for_drafts(store):
    draft = store.save_visit(visit_input(), draft=True)

    assert pull(store, change("household", None, id=HH, version=90))["deferred"] == 1
    assert store.record("visit", draft["id"])["local_state"] == "draft"

    store.discard_draft("visit", draft["id"])
    assert store.household(HH) is None


def test_a_household_tombstone_waits_for_a_refused_visit(store):
    refused = store.save_visit(visit_input())
    store.apply_results([result(m, "rejected", reason="invalid") for m in send_all(store)])
    assert store.pending_count() == 0  # only the needs-attention item is left

    counts = pull(store, change("household", None, id=HH, version=90, reason="unassigned"))

    assert counts == {**counts, "deferred": 1, "deleted": 0}
    assert store.household(HH) is not None
    assert store.record("visit", refused["id"])["local_state"] == "attention"
    (item,) = store.attention_items()
    store.dismiss_attention(item["id"])  # never accepted: a draft again, still the advisor's
    assert store.record("visit", refused["id"])["local_state"] == "draft"
    store.discard_draft("visit", refused["id"])
    assert store.household(HH) is None


def test_a_household_tombstone_waits_for_a_flagged_edit_until_it_is_dismissed(store):
    store.update_household(HH, {"phone": "13900139000"})
    store.apply_results([result(m, "conflict", fields=["phone"]) for m in send_all(store)])

    assert pull(store, change("household", None, id=HH, version=90))["deferred"] == 1
    assert store.household(HH)["local_state"] == "attention"

    (item,) = store.attention_items()
    store.dismiss_attention(item["id"])
    assert store.household(HH) is None


def test_a_household_back_in_the_caseload_cancels_its_deferred_tombstone(store):
    saved = store.save_visit(visit_input())
    pull(store, change("household", None, id=HH, version=90))
    pull(store, change("household", household_data(version=10)))  # the bundle again
    (sent,) = send_all(store)

    store.apply_results([result(sent, version=95)])

    assert store.household(HH)["version"] == 10
    assert store.record("visit", saved["id"])["local_state"] == "synced"


def test_member_and_warning_tombstones_delete_them(store):
    wid = str(uuid.uuid4())
    pull(store, change("warning", warning_data(wid)))

    pull(
        store,
        change("person", None, id=PERSON, version=91, reason="deleted"),
        change("warning", None, id=wid, version=92),
    )

    assert store.household(HH)["persons"] == []
    assert store.open_warnings() == []


def test_history_is_pruned_to_12_but_never_the_advisors_own_work(store):
    def at(day: int) -> str:
        return f"2025-01-{day:02d}T10:00:00+08:00"

    flagged = store.save_visit(visit_input(visited_at=at(1)))
    store.apply_results([result(m, "rejected", reason="invalid") for m in send_all(store)])
    pending = store.save_visit(visit_input(visited_at=at(2)))
    draft = store.save_visit(visit_input(visited_at=at(3)), draft=True)
    synced = [str(uuid.uuid4()) for _ in range(15)]
    changes = [
        change("visit", server_visit(vid, version=100 + n, visited_at=at(4 + n)))
        for n, vid in enumerate(synced)
    ]

    counts = pull(store, *changes)

    kept = {v["id"] for v in store.visits_for(HH)}
    # 17 non-draft visits: the newest 12 stay; of the 5 older ones only the synced 3 go.
    assert counts["pruned"] == 3
    assert kept == set(synced[3:]) | {flagged["id"], pending["id"], draft["id"]}
