"""A pull from the start (the server refused an old cursor): at its end, what it did not
send is dropped — but never the advisor's unsent work — and a run cut short continues."""

from __future__ import annotations

import uuid

from tests.sync.store_contract.builders import (
    HH,
    HH2,
    PERSON,
    change,
    household_data,
    person_data,
    result,
    send_all,
    server_visit,
    visit_input,
    warning_data,
)

GONE_PERSON = "3c2a1b0d-9e8f-4a7b-8c6d-5e4f3a2b1c00"


def page(store, *changes, last: bool = False, cursor: str = "c9"):
    return store.apply_pull_page(list(changes), cursor, last=last)


def held(store):
    """A tablet that pulled HH (two members, a visit, an open warning) and HH2."""
    vid, wid = str(uuid.uuid4()), str(uuid.uuid4())
    page(
        store,
        change("person", person_data(GONE_PERSON, version=12)),
        change("visit", server_visit(vid)),
        change("warning", warning_data(wid)),
        change("household", household_data(HH2, version=40)),
        cursor="c1",
    )
    return vid, wid


def caseload_now(vid: str):
    """What a run from the start sends now: HH with one member and its visit; HH2 left,
    the other member was deleted and the warning closed (tombstones long pruned)."""
    return (
        change("household", household_data(version=10)),
        change("person", person_data(version=11)),
        change("visit", server_visit(vid)),
    )


def test_the_end_of_the_run_drops_what_it_did_not_send(store):
    vid, _ = held(store)
    store.restart_pull()
    assert store.cursor() is None

    first, *rest = caseload_now(vid)
    page(store, first, cursor="p1")
    counts = page(store, *rest, last=True, cursor="p2")

    assert counts["dropped"] == 3  # HH2, the deleted member, the closed warning
    assert [h["id"] for h in store.households()] == [HH]
    assert [p["id"] for p in store.household(HH)["persons"]] == [PERSON]
    assert store.open_warnings() == []
    assert [v["id"] for v in store.visits_for(HH)] == [vid]
    assert store.cursor() == "p2"
    # Once ended, a later last page drops nothing more.
    assert page(store, last=True)["dropped"] == 0
    assert store.household(HH) is not None


def test_unsent_work_survives_the_run_and_its_household_goes_once_pushed(store):
    vid, _ = held(store)
    mine = store.save_visit(visit_input(HH2))  # HH2 left the caseload meanwhile
    draft = store.save_visit(visit_input(notes="半成品"), draft=True)

    store.restart_pull()
    counts = page(store, *caseload_now(vid), last=True)

    assert counts["dropped"] == 3
    assert store.pending_count() == 1
    assert store.record("visit", mine["id"])["local_state"] == "pending"
    assert store.record("visit", draft["id"])["local_state"] == "draft"
    assert store.household(HH2) is not None  # waits for its push
    (sent,) = send_all(store)
    store.apply_results([result(sent, version=77)])
    assert store.household(HH2) is None


def test_a_run_cut_short_continues_after_the_store_is_reopened(make_store):
    store = make_store()
    page(store, change("household", household_data()), change("person", person_data()))
    vid, _ = held(store)
    store.restart_pull()
    first, *rest = caseload_now(vid)
    page(store, first, cursor="p1")
    store.close()  # the app was killed between two pages

    reopened = make_store()
    assert reopened.cursor() == "p1"
    assert page(reopened, *rest, last=True)["dropped"] == 3
    assert [h["id"] for h in reopened.households()] == [HH]


def test_an_ordinary_pull_drops_nothing(store):
    held(store)
    counts = page(store, change("household", household_data(version=10)), last=True)
    assert counts["dropped"] == 0
    assert {h["id"] for h in store.households()} == {HH, HH2}
