"""Saving visits and interviews: validation, identity, drafts, and the locks of the
record workflow (DESIGN §6)."""

from __future__ import annotations

import uuid

import pytest
from marshmallow import ValidationError

from sync.store import RecordLocked
from tests.sync.store_contract.builders import (
    HH,
    HH2,
    change,
    interview_input,
    pull,
    send_all,
    server_visit,
    visit_input,
)


def test_save_visit_fills_identity_and_queues_one_upsert(store):
    saved = store.save_visit(visit_input())

    assert uuid.UUID(saved["id"]).version == 4
    assert saved["device_id"] == store.device_id()
    assert (saved["status"], saved["local_state"], saved["version"]) == (
        "submitted",
        "pending",
        None,
    )
    wire = {k: v for k, v in saved.items() if k not in ("version", "local_state")}
    assert store.pending_mutations() == [
        {
            "mutation_id": 1,
            "entity": "visit",
            "op": "upsert",
            "id": saved["id"],
            "base_version": None,
            "data": wire,
        }
    ]
    assert store.visits_for(HH) == [saved]


def test_save_fills_advisor_from_signed_in_user_and_keeps_a_given_id(store):
    store.set_state("user", {"id": 42, "name": "李顾问"})
    given = str(uuid.uuid4())
    data = visit_input(id=given)
    del data["advisor_id"]

    saved = store.save_visit(data)

    assert (saved["id"], saved["advisor_id"]) == (given, 42)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("visited_at", "2025-03-10T10:00:00", "Must include a timezone offset"),
        ("outcome", "gone", "Must be one of"),
        ("estimated_monthly_income", "12.345", "Must have at most 2 decimal places."),
        ("advisor_id", 0, "Must be a positive integer."),
        ("household_id", HH2, "Not a household on this tablet."),
        ("household_id", "not-a-uuid", "Not a valid UUID."),
        ("colour", "red", "Unknown field."),
        ("ended_at", "2025-03-10T09:00:00+08:00", "Must not be earlier than started_at."),
    ],
)
def test_save_refuses_bad_input_with_field_messages(store, field, value, message):
    data = visit_input(started_at="2025-03-10T09:30:00+08:00", **{field: value})

    with pytest.raises(ValidationError) as caught:
        store.save_visit(data)

    assert any(message in text for text in caught.value.messages[field])
    assert store.visits_for(HH) == []
    assert store.pending_count() == 0


def test_save_interview_validates_and_queues(store):
    with pytest.raises(ValidationError) as caught:
        store.save_interview(interview_input(statement="  "))
    assert "statement" in caught.value.messages

    saved = store.save_interview(interview_input())

    assert (saved["status"], saved["local_state"]) == ("submitted", "pending")
    assert [(m["entity"], m["id"]) for m in store.pending_mutations()] == [
        ("interview", saved["id"])
    ]
    assert store.interviews_for(HH) == [saved]


def test_drafts_are_stored_but_never_queued(store):
    draft = store.save_visit(visit_input(), draft=True)

    assert (draft["status"], draft["local_state"]) == ("draft", "draft")
    assert store.pending_count() == 0
    assert store.visits_for(HH)[0]["id"] == draft["id"]

    submitted = store.save_visit({**draft, "notes": "写完了"})

    assert (submitted["status"], submitted["local_state"]) == ("submitted", "pending")
    assert [m["data"]["notes"] for m in store.pending_mutations()] == ["写完了"]


def test_back_to_draft_withdraws_an_unsent_submission(store):
    saved = store.save_visit(visit_input())

    draft = store.save_visit(saved, draft=True)

    assert (draft["status"], draft["local_state"]) == ("draft", "draft")
    assert store.pending_mutations() == []


def test_back_to_draft_is_refused_once_sent(store):
    saved = store.save_visit(visit_input())
    send_all(store)

    with pytest.raises(RecordLocked):
        store.save_visit(saved, draft=True)
    assert store.record("visit", saved["id"])["status"] == "submitted"


@pytest.mark.parametrize("status", ["submitted", "resubmitted", "approved"])
def test_records_under_review_or_approved_cannot_be_edited(store, status):
    vid = str(uuid.uuid4())
    pull(store, change("visit", server_visit(vid, status=status)))

    with pytest.raises(RecordLocked, match=status):
        store.save_visit({**store.record("visit", vid), "notes": "changed"})

    assert store.record("visit", vid)["notes"] == "情况稳定"
    assert store.pending_count() == 0


def test_a_returned_record_is_corrected_as_resubmitted(store):
    vid = str(uuid.uuid4())
    pull(store, change("visit", server_visit(vid, status="returned", review_comment="补充收入")))
    shown = store.record("visit", vid)

    saved = store.save_visit({**shown, "estimated_monthly_income": "1200.00"})

    assert (saved["status"], saved["local_state"], saved["version"]) == (
        "resubmitted",
        "pending",
        20,
    )
    (mutation,) = store.pending_mutations()
    assert mutation["data"]["status"] == "resubmitted"
    # The version the tablet saw: it tells this resubmission from a replay of an earlier one.
    assert mutation["base_version"] == 20
    assert "review_comment" not in mutation["data"] and "version" not in mutation["data"]
    assert mutation["data"]["device_id"] == "tablet-other"  # the author's device is kept
