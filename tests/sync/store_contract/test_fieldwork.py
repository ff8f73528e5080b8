"""Fieldwork across households (我的记录): one read, newest first by the instant."""

from __future__ import annotations

import pytest

from tests.sync.store_contract.builders import (
    HH,
    HH2,
    change,
    household_data,
    interview_input,
    lead_input,
    pull,
    server_visit,
    visit_input,
)


@pytest.fixture
def worked(store):
    """Records in two households and a lead, with times in different offsets."""
    pull(store, change("household", household_data(HH2, external_id="B2")), cursor="c1")
    saved = {
        # In UTC: v1 01:00, v2 02:30, i1 03:30, l1 00:00; as text v1 would sort last.
        "v1": store.save_visit(visit_input(visited_at="2026-03-02T09:00:00+08:00")),
        "v2": store.save_visit(visit_input(HH2, visited_at="2026-03-02T02:30:00+00:00")),
        "i1": store.save_interview(interview_input(interviewed_at="2026-03-02T11:30:00+08:00")),
        "l1": store.save_lead(lead_input(found_at="2026-03-02T03:00:00+03:00")),
        "other": store.save_visit(
            visit_input(advisor_id=8, visited_at="2026-03-03T09:00:00+08:00"), draft=True
        ),
    }
    return {name: record["id"] for name, record in saved.items()}


def test_fieldwork_is_newest_first_by_the_instant_whatever_the_offsets(store, worked):
    mine = store.fieldwork(advisor_id=7)
    assert [r["id"] for r in mine] == [worked[n] for n in ("i1", "v2", "v1", "l1")]
    assert [r["entity"] for r in mine] == ["interview", "visit", "visit", "lead"]
    assert mine[1]["household"]["id"] == HH2 and mine[0]["household"]["id"] == HH
    assert "persons" not in mine[0]["household"] and mine[3]["household"] is None
    assert [r["id"] for r in store.fieldwork()][0] == worked["other"]  # anyone's, drafts too


@pytest.mark.parametrize("limit", [0, 1, 3, 10])
def test_fieldwork_limit_keeps_the_newest(store, worked, limit):
    whole = [r["id"] for r in store.fieldwork(advisor_id=7)]
    assert [r["id"] for r in store.fieldwork(advisor_id=7, limit=limit)] == whole[:limit]


def test_fieldwork_of_pulled_history_carries_the_server_copy(store):
    pull(store, change("visit", server_visit("9e0c8e1a-3b1c-4d5e-8f70-1a2b3c4d5e6f")), cursor="c2")
    (only,) = store.fieldwork(advisor_id=7)
    assert only["local_state"] == "synced" and only["version"] == 20


def test_fieldwork_by_status_reads_only_those(store, worked):
    returned = "9e0c8e1a-3b1c-4d5e-8f70-1a2b3c4d5e70"
    pull(
        store,
        change("visit", server_visit(returned, status="returned", version=21)),
        change("visit", server_visit("9e0c8e1a-3b1c-4d5e-8f70-1a2b3c4d5e71", version=22)),
        cursor="c2",
    )
    assert [r["id"] for r in store.fieldwork(status="returned")] == [returned]
    assert store.fieldwork(status="approved") == []
