"""The store across a handover (issue 16 cases 3 and 4): a returned record is never pruned,
and a record refused as no longer the advisor's leaves only by a confirmed, reported
discard."""

from __future__ import annotations

import uuid

from tests.sync.store_contract.builders import (
    HH,
    change,
    pull,
    result,
    send_all,
    server_visit,
    visit_input,
)


def _at(day: int) -> str:
    return f"2025-01-{day:02d}T10:00:00+08:00"


def test_a_returned_visit_older_than_the_newest_12_is_kept_when_it_arrives(store):
    newer = [
        change("visit", server_visit(str(uuid.uuid4()), version=100 + n, visited_at=_at(2 + n)))
        for n in range(12)
    ]
    pull(store, *newer)
    old = str(uuid.uuid4())
    returned = server_visit(
        old, version=200, status="returned", review_comment="请补充", visited_at=_at(1)
    )

    counts = pull(store, change("visit", returned))

    assert counts["pruned"] == 0
    assert store.record("visit", old)["status"] == "returned"
    # Once corrected and acknowledged it is history like any other and may go.
    pull(store, change("visit", {**returned, "status": "resubmitted", "version": 201}))
    assert store.record("visit", old) is None


def _refused(store, reason: str):
    saved = store.save_visit(visit_input())
    store.apply_results([result(m, "rejected", reason=reason) for m in send_all(store)])
    pull(store, change("household", None, id=HH, version=90, reason="unassigned"))
    (item,) = store.attention_items()
    return saved, item


def test_a_refused_visit_outlives_the_tombstone_until_the_advisor_discards_it(store):
    saved, item = _refused(store, "not_in_caseload")
    assert store.household(HH) is not None
    assert store.record("visit", saved["id"])["local_state"] == "attention"
    assert store.discard_reports() == []
    assert item["discards"] is True  # what the app asks to confirm

    assert store.dismiss_attention(item["id"]) is True

    assert store.record("visit", saved["id"]) is None
    assert store.household(HH) is None  # nothing else kept it
    (report,) = store.discard_reports()
    assert (report["entity"], report["record_id"], report["household_id"], report["reason"]) == (
        "visit",
        saved["id"],
        HH,
        "not_in_caseload",
    )
    assert report["record"]["notes"] == saved["notes"]  # the last copy goes to the office
    store.forget_discard_reports([report["id"]])
    assert store.discard_reports() == []


def test_a_refusal_the_advisor_can_correct_is_still_a_draft_when_dismissed(store):
    saved, item = _refused(store, "invalid")
    assert item["discards"] is False
    store.dismiss_attention(item["id"])
    assert store.record("visit", saved["id"])["local_state"] == "draft"
    assert store.discard_reports() == []
    assert store.household(HH) is not None


def test_a_refused_correction_of_a_server_copy_is_not_discarded(store):
    returned = server_visit(str(uuid.uuid4()), version=300, status="returned")
    pull(store, change("visit", returned))
    store.save_visit({**store.record("visit", returned["id"]), "notes": "补充"})
    store.apply_results([result(m, "rejected", reason="not_in_caseload") for m in send_all(store)])
    (item,) = store.attention_items()
    assert item["discards"] is False
    store.dismiss_attention(item["id"])
    assert store.record("visit", returned["id"])["status"] == "returned"
    assert store.discard_reports() == []
