"""Contract tests for the tablet store (DESIGN §5 "Tablet store").

Kinto's pattern: the ``store`` fixture is parametrized over every implementation and the
contract tests use only the public API. Today there is one implementation, ``SQLiteStore``;
the tests at the end ("SQLite only") look inside the file: pragmas, migrations, failure
injection, other threads and a kill -9 in the middle of writing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from sync import store_rows, store_schema
from sync.records import VisitSchema
from sync.schedule import State
from sync.store import RecordLocked, SQLiteStore, StoreError, UnknownRecord

ROOT = Path(__file__).resolve().parents[2]
HH = "7d4b6b1e-0b8e-4c53-9c55-7c9f2f0f6f11"
HH2 = "5b1c3e8a-7a0d-4b7e-8d2f-1c9e6f4a3b02"
PERSON = "0f9d2f44-57d4-4a35-9a0c-2a5d0b7f6a01"


class Clock:
    """A clock that ticks one second per reading, so created_at values are ordered."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _sqlite(directory: Path, name: str) -> SQLiteStore:
    return SQLiteStore(directory / f"{name}.sqlite3", clock=Clock())


IMPLEMENTATIONS = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make_store(request, tmp_path):
    """Open (or reopen) a store by name; every store opened is closed after the test."""
    opened = []

    def make(name: str = "tablet"):
        store = IMPLEMENTATIONS[request.param](tmp_path, name)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store):
    """A store holding household HH (version 10, monthly) with one member, cursor "c0"."""
    store = make_store()
    pull(store, change("household", household_data()), change("person", person_data()), cursor="c0")
    return store


# ---------------------------------------------------------------------------- builders


def household_data(hid: str = HH, version: int = 10, **changes: Any) -> dict[str, Any]:
    """A household as the server sends it (with its read-only fields)."""
    data = {
        "id": hid,
        "external_id": f"310101-{hid[:6]}",
        "head_name": "王秀英",
        "phone": "13800138000",
        "residence_address": "黄浦区南京东路 100 弄 5 号 302 室",
        "registration_street_id": 11,
        "registration_community_id": 111,
        "residence_street_id": 11,
        "residence_community_id": 111,
        "categories": ["dibao"],
        "hardship_level": "high",
        "visit_cycle": "monthly",
        "cycle_override": None,
        "assigned_advisor_id": 7,
        "status": "active",
        "location": None,
        "enrolled_on": "2024-01-15",
        "notes": "",
        "version": version,
        "separated": False,
    }
    return {**data, **changes}


def person_data(pid: str = PERSON, hid: str = HH, version: int = 11) -> dict[str, Any]:
    """A member as an advisor receives it (ID number masked)."""
    return {
        "id": pid,
        "household_id": hid,
        "name": "王秀英",
        "id_number": "1101**********002X",
        "gender": "female",
        "birth_date": "1990-03-07",
        "relation": "head",
        "health": "chronic",
        "labour_capacity": "partial",
        "employment": "flexible",
        "version": version,
    }


def visit_input(hid: str = HH, **changes: Any) -> dict[str, Any]:
    """What the visit form hands to the store."""
    data = {
        "household_id": hid,
        "advisor_id": 7,
        "visited_at": "2025-03-10T10:00:00+08:00",
        "outcome": "completed",
        "living_conditions": "房屋老旧",
        "notes": "情况稳定",
    }
    return {**data, **changes}


def server_visit(
    vid: str, hid: str = HH, version: int = 20, status: str = "submitted", **changes: Any
) -> dict[str, Any]:
    """A visit as the server sends it (another tablet's, unless changed)."""
    schema = VisitSchema()
    loaded = schema.load({**visit_input(hid), "id": vid, "device_id": "tablet-other"})
    return {**schema.dump(loaded), "status": status, "version": version, "review_comment": None} | (
        changes
    )


def interview_input(hid: str = HH, **changes: Any) -> dict[str, Any]:
    """What the interview form hands to the store."""
    data = {
        "household_id": hid,
        "advisor_id": 7,
        "interviewed_at": "2025-03-10T11:00:00+08:00",
        "interviewee_role": "building_leader",
        "statement": "户主近两月未见外出上班。",
        "corroborates": "partly",
    }
    return {**data, **changes}


def warning_data(wid: str, hid: str = HH, version: int = 30, **changes: Any) -> dict[str, Any]:
    """A warning as the server sends it."""
    data = {
        "id": wid,
        "household_id": hid,
        "source": "platform",
        "kind": "job_loss",
        "level": "orange",
        "status": "open",
        "disposal": None,
        "disposal_reason": None,
        "message": "",
        "raised_at": "2025-03-02T09:00:00+08:00",
        "due_by": None,
        "street_id": 11,
        "version": version,
    }
    return {**data, **changes}


def change(
    entity: str,
    data: dict[str, Any] | None,
    *,
    id: str | None = None,  # noqa: A002 - the wire name
    version: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One pull change; ``data=None`` makes a tombstone."""
    item = {
        "entity": entity,
        "id": id or data["id"],
        "version": version if version is not None else data["version"],
        "deleted": data is None,
        "data": data,
    }
    if reason:
        item["reason"] = reason
    return item


def pull(store, *changes: dict[str, Any], cursor: str = "c1") -> dict[str, int]:
    """Apply one pull page."""
    return store.apply_pull_page(list(changes), cursor)


def send_all(store) -> list[dict[str, Any]]:
    """Hand every pending mutation to the (imaginary) transport."""
    return store.mark_sent([m["mutation_id"] for m in store.pending_mutations()])


def result(mutation: dict[str, Any], status: str = "applied", **extra: Any) -> dict[str, Any]:
    """A push result for ``mutation``."""
    return {"mutation_id": mutation["mutation_id"], "status": status, **extra}


# ---------------------------------------------------------------------- save/validate


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
    assert "review_comment" not in mutation["data"] and "version" not in mutation["data"]
    assert mutation["data"]["device_id"] == "tablet-other"  # the author's device is kept


# ------------------------------------------------------------------------- households


def test_update_household_queues_an_update_against_the_synced_version(store):
    updated = store.update_household(HH, {"phone": "13900000000"})

    assert (updated["phone"], updated["local_state"]) == ("13900000000", "pending")
    assert store.pending_mutations() == [
        {
            "mutation_id": 1,
            "entity": "household",
            "op": "update",
            "id": HH,
            "base_version": 10,
            "data": {"phone": "13900000000"},
        }
    ]


def test_household_edits_coalesce_keeping_the_earliest_base_version(store):
    store.update_household(HH, {"phone": "13900000000"})
    pull(store, change("household", household_data(version=12, hardship_level="medium")))
    store.update_household(HH, {"notes": "新装了扶手", "phone": "13911111111"})

    (mutation,) = store.pending_mutations()
    assert mutation["base_version"] == 10
    assert mutation["data"] == {"phone": "13911111111", "notes": "新装了扶手"}
    shown = store.household(HH)
    # Server fields arrive; the advisor's pending fields stay on top.
    assert (shown["hardship_level"], shown["phone"], shown["version"]) == (
        "medium",
        "13911111111",
        12,
    )


def test_household_edit_after_sending_starts_from_the_newest_version(store):
    store.update_household(HH, {"phone": "13900000000"})
    send_all(store)
    pull(store, change("household", household_data(version=15)))

    store.update_household(HH, {"notes": "again"})

    assert [(m["mutation_id"], m["base_version"]) for m in store.pending_mutations()] == [
        (1, 10),
        (2, 15),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"head_name": "张三"}, "head_name", "Not editable on the tablet."),
        ({"phone": "call me"}, "phone", "May contain only digits"),
        ({"location": {"lat": 95, "lon": 121}}, "location", "between"),
    ],
)
def test_update_household_refuses_other_fields_and_bad_values(store, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        store.update_household(HH, changes)

    assert message in str(caught.value.messages[field])
    assert store.pending_count() == 0
    assert store.household(HH)["local_state"] == "synced"


def test_update_of_an_unknown_household_raises(store):
    with pytest.raises(UnknownRecord):
        store.update_household(HH2, {"phone": "13900000000"})


# ---------------------------------------------------------------------- push results


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


def test_an_unknown_result_status_changes_nothing(store):
    store.save_visit(visit_input())
    (sent,) = send_all(store)

    with pytest.raises(StoreError, match="unknown push result"):
        store.apply_results([result(sent, "maybe")])

    assert [m["mutation_id"] for m in store.pending_mutations()] == [1]


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


# ------------------------------------------------------------------------------- pull


def test_a_pulled_page_is_stored_and_readable(store):
    vid, iid, wid = (str(uuid.uuid4()) for _ in range(3))
    interview = {**interview_input(), "id": iid, "device_id": "t", "version": 32}

    counts = pull(
        store,
        change("visit", server_visit(vid)),
        change("interview", interview),
        change("warning", warning_data(wid)),
        change("warning", warning_data(str(uuid.uuid4()), version=33, status="closed")),
        cursor="c2",
    )

    assert counts == {"applied": 4, "ignored": 0, "deleted": 0, "deferred": 0, "pruned": 0}
    assert store.cursor() == "c2"
    household = store.household(HH)
    assert household["head_name"] == "王秀英"
    assert [p["id"] for p in household["persons"]] == [PERSON]
    assert [v["id"] for v in store.visits_for(HH)] == [vid]
    assert [i["id"] for i in store.interviews_for(HH)] == [iid]
    assert [w["id"] for w in store.open_warnings()] == [wid]
    assert [h["id"] for h in store.households()] == [HH]


def test_a_lower_version_is_ignored_and_an_equal_or_higher_one_applied(store):
    pull(store, change("household", household_data(version=20, phone="13500000000")))

    assert pull(store, change("household", household_data(version=19)))["ignored"] == 1
    assert store.household(HH)["phone"] == "13500000000"

    pull(store, change("household", household_data(version=20, phone="13600000000")))
    assert (store.household(HH)["phone"], store.household(HH)["version"]) == ("13600000000", 20)


def test_a_pull_never_overwrites_a_pending_record(store):
    saved = store.save_visit(visit_input(notes="mine"))

    pull(store, change("visit", server_visit(saved["id"], version=50, notes="server")))

    stored = store.record("visit", saved["id"])
    assert (stored["notes"], stored["local_state"], stored["version"]) == ("mine", "pending", 50)


def test_a_pull_never_overwrites_a_draft(store):
    vid = str(uuid.uuid4())
    pull(store, change("visit", server_visit(vid, status="returned")))
    store.save_visit({**store.record("visit", vid), "notes": "half done"}, draft=True)

    pull(store, change("visit", server_visit(vid, version=60, status="returned", notes="x")))

    stored = store.record("visit", vid)
    assert (stored["notes"], stored["local_state"], stored["version"]) == ("half done", "draft", 60)
    assert store.discard_draft("visit", vid) is True
    assert store.record("visit", vid)["notes"] == "x"


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


def test_a_malformed_change_rolls_back_the_page_and_its_cursor(store):
    vid = str(uuid.uuid4())
    bad = {"entity": "visit", "id": str(uuid.uuid4()), "version": "7", "data": {}}

    with pytest.raises(ValueError, match="integer version"):
        pull(store, change("visit", server_visit(vid)), bad, cursor="c9")

    assert store.cursor() == "c0"
    assert store.record("visit", vid) is None


def test_entity_names_are_checked(store):
    with pytest.raises(ValueError, match="unknown entity"):
        store.record("outbox; DROP TABLE visit", "x")
    with pytest.raises(ValueError, match="drafts"):
        store.discard_draft("household", HH)


def test_unknown_entities_are_skipped(store):
    counts = pull(store, {"entity": "task", "id": "t1", "version": 5, "data": {}}, cursor="c3")

    assert counts["ignored"] == 1
    assert store.cursor() == "c3"


# ----------------------------------------------------------------------- sync state


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


# ------------------------------------------------------------------------ SQLite only


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "tablet.sqlite3"


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return version


def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(path):
    with SQLiteStore(path, timeout=3) as store:
        conn = store._conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 3000


def test_each_thread_gets_its_own_connection_closed_when_the_thread_ends(path):
    with SQLiteStore(path) as store:
        seen = []
        worker = threading.Thread(target=lambda: seen.append((store._conn(), store.cursor())))
        worker.start()
        worker.join()
        (theirs, _), mine = seen[0], store._conn()
        assert theirs is not mine
        reaper = threading.Thread(target=store.pending_count)  # a new thread reaps the old one
        reaper.start()
        reaper.join()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            theirs.execute("SELECT 1")
        assert mine.execute("SELECT 1").fetchone()[0] == 1
    with pytest.raises(StoreError, match="closed"):
        store.cursor()


def test_migrations_start_from_user_version_0(path):
    sqlite3.connect(path).close()  # an empty file at user_version 0
    assert _user_version(path) == 0

    with SQLiteStore(path) as store:
        assert store.device_id()
        assert store.pending_count() == 0

    assert _user_version(path) == len(store_schema.MIGRATIONS) == 1
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"household", "person", "visit", "interview", "warning", "outbox", "attention"} <= names
    assert {"deferred_tombstone", "sync_state"} <= names


def test_a_later_migration_upgrades_an_existing_file_and_keeps_its_data(path, monkeypatch):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
        device = store.device_id()

    def v2(conn):
        conn.execute("ALTER TABLE household ADD COLUMN colour TEXT DEFAULT 'blue'")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, v2])
    with SQLiteStore(path) as store:
        assert store.household(HH)["head_name"] == "王秀英"
        assert store.device_id() == device
        assert store._conn().execute("SELECT colour FROM household").fetchone()[0] == "blue"
    assert _user_version(path) == 2


def test_a_failing_migration_leaves_the_previous_version(path, monkeypatch):
    SQLiteStore(path).close()

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="boom"):
        SQLiteStore(path)

    assert _user_version(path) == 1
    monkeypatch.undo()
    with SQLiteStore(path) as store:
        tables = store._conn().execute("SELECT name FROM sqlite_master").fetchall()
        assert "half_done" not in {row[0] for row in tables}


def test_a_file_from_a_newer_app_is_refused(path):
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()

    with pytest.raises(store_schema.SchemaTooNew):
        SQLiteStore(path)


def test_reopening_keeps_everything_and_never_reuses_mutation_ids(path):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()), cursor="c5")
        store.set_state("token", "secret")
        device = store.device_id()
        first = store.save_visit(visit_input())
        store.apply_results([result(m, "rejected", reason="invalid") for m in send_all(store)])
        checksum = store.checksum()

    with SQLiteStore(path) as store:
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


def test_a_failure_between_record_and_outbox_writes_neither(path, monkeypatch):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
        saved = store.save_visit(visit_input(notes="original"))

        def fail(*args, **kwargs):
            raise OSError("disk went away")

        monkeypatch.setattr(SQLiteStore, "_enqueue", fail)
        with pytest.raises(OSError):
            store.save_visit(visit_input())
        with pytest.raises(OSError):
            store.save_visit({**saved, "notes": "edited"})

        assert [v["id"] for v in store.visits_for(HH)] == [saved["id"]]
        assert store.record("visit", saved["id"])["notes"] == "original"
        assert [m["data"]["notes"] for m in store.pending_mutations()] == ["original"]


def test_a_failure_while_applying_a_page_keeps_the_old_cursor(path, monkeypatch):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()), cursor="c1")

        def fail(*args, **kwargs):
            raise OSError("disk went away")

        monkeypatch.setattr(store_rows, "prune_history", fail)
        with pytest.raises(OSError):
            pull(store, change("visit", server_visit(str(uuid.uuid4()))), cursor="c2")

        assert store.cursor() == "c1"
        assert store.visits_for(HH) == []


def test_concurrent_writers_wait_instead_of_failing(path):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
        failures: list[BaseException] = []

        def writer() -> None:
            try:
                for _ in range(15):
                    store.save_visit(visit_input())
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=writer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        assert store.pending_count() == 60
        assert [m["mutation_id"] for m in store.pending_mutations()] == list(range(1, 61))


CHILD = """
import sys
from sync.store import SQLiteStore

store = SQLiteStore(sys.argv[1])
print("ready", flush=True)
last, n = None, 0
while True:
    data = {"household_id": sys.argv[2], "advisor_id": 7, "outcome": "completed",
            "visited_at": "2025-03-10T10:00:00+08:00", "notes": f"visit {n}"}
    if last is not None and n % 3 == 0:
        data.update(id=last, notes=f"edit {n}")  # coalesces into the queued mutation
    last = store.save_visit(data)["id"]
    print(last, flush=True)
    n += 1
"""


def test_a_kill_9_while_writing_leaves_no_torn_write(path):
    with SQLiteStore(path) as store:
        pull(store, change("household", household_data()))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), HH],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate()
    committed = {line for line in rest.split() if line}

    with SQLiteStore(path) as store:
        conn = store._conn()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            """SELECT v.id, v.data, o.payload FROM visit v
               LEFT JOIN outbox o ON o.entity = 'visit' AND o.record_id = v.id"""
        ).fetchall()
        orphans = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE record_id NOT IN (SELECT id FROM visit)"
        ).fetchone()[0]
        ids = [row["id"] for row in rows]
        assert committed, "the child saved nothing before it was killed"
        assert committed <= set(ids)  # whatever was reported saved survived the kill
        assert len(ids) == len(set(ids))  # exactly one outbox row per visit
        assert orphans == 0
        assert all(row["data"] == row["payload"] for row in rows)  # record and mutation agree
