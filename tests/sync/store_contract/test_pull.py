"""Applying pulled pages: stored and readable, versions ordered, local work never
overwritten."""

from __future__ import annotations

import uuid

import pytest

from tests.sync.store_contract.builders import (
    HH,
    PERSON,
    change,
    household_data,
    interview_input,
    pull,
    server_visit,
    visit_input,
    warning_data,
)


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

    assert counts == {
        "applied": 4,
        "ignored": 0,
        "deleted": 0,
        "deferred": 0,
        "pruned": 0,
        "dropped": 0,
    }
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


def test_entity_names_are_checked(store):
    with pytest.raises(ValueError, match="unknown entity"):
        store.record("outbox; DROP TABLE visit", "x")
    with pytest.raises(ValueError, match="drafts"):
        store.discard_draft("household", HH)


def test_unknown_entities_are_skipped(store):
    counts = pull(store, {"entity": "task", "id": "t1", "version": 5, "data": {}}, cursor="c3")

    assert counts["ignored"] == 1
    assert store.cursor() == "c3"
