"""An advisor's household edits: queued as updates against the synced version."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from sync.store import UnknownRecord
from tests.sync.store_contract.builders import (
    HH,
    HH2,
    change,
    household_data,
    pull,
    result,
    send_all,
)


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


def test_an_acknowledged_update_rebases_later_updates_of_its_fields(store):
    store.update_household(HH, {"phone": "13900001111", "notes": "三楼"})
    [first] = send_all(store)
    # Made while edit 1 was on its way: one sent since (left as it was sent), one queued.
    store.update_household(HH, {"phone": "13900002222"})
    second = send_all(store)[-1]
    store.update_household(HH, {"phone": "13900003333"})

    store.apply_results([result(first, version=25)])

    assert [(m["mutation_id"], m["base_version"]) for m in store.pending_mutations()] == [
        (second["mutation_id"], 10),
        (second["mutation_id"] + 1, 25),
    ]


def test_an_update_also_of_other_fields_is_split_and_they_keep_their_base(store):
    store.update_household(HH, {"phone": "13900001111"})
    [first] = send_all(store)
    store.update_household(HH, {"phone": "13900002222", "notes": "三楼"})

    store.apply_results([result(first, version=25)])

    assert [(m["base_version"], m["data"]) for m in store.pending_mutations()] == [
        (10, {"notes": "三楼"}),
        (25, {"phone": "13900002222"}),
    ]
    # A later edit folds into the rebased part, the last queued.
    store.update_household(HH, {"phone": "13900003333"})
    assert [m["data"] for m in store.pending_mutations()][-1] == {"phone": "13900003333"}
    assert store.household(HH)["phone"] == "13900003333"
