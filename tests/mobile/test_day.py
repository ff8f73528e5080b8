"""View-models through an advisor's day: the first pull's progress, 同上次, time order."""

from __future__ import annotations

import re

import pytest

from tests.mobile.conftest import sync


@pytest.fixture
def household_id(live_world):
    return str(live_world.household("A1", advisor=live_world.adv_a).id)


def test_the_first_pull_shows_progress_never_an_empty_list(household_id, signed_in):
    from mobile.viewmodels.duelist import DueListViewModel
    from mobile.viewmodels.sync import SyncViewModel

    due, progress = DueListViewModel(signed_in), SyncViewModel(signed_in)
    seen: list[tuple[str, int]] = []

    def follow(*_) -> None:  # as the due list screen binds it
        due.show_pull(progress.first_pull, progress.pulled, progress.pull_total)
        seen.append((due.loading, len(due.rows)))

    progress.bind(first_pull=follow, pulled=follow)
    assert progress.sync_now()
    signed_in.runner.join(60)
    assert ("正在下载走访对象…", 0) in seen
    # One page here: the server's total arrives with it.
    assert any(re.fullmatch(r"正在下载走访对象：\d+ / \d+", text) for text, _ in seen), seen
    assert due.loading == ""  # done: the list (or its empty text) shows again
    # A later sync is no first pull: the list is never replaced by progress.
    seen.clear()
    assert progress.sync_now()
    signed_in.runner.join(60)
    assert all(text == "" for text, _ in seen)


def test_same_as_last_meets_the_head_when_the_last_visit_named_nobody(household_id, signed_in):
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    first = VisitFormViewModel(signed_in)
    first.open_new(household_id)
    first.form.update({"outcome": "completed", "persons_met": []})
    assert first.submit()
    routine = VisitFormViewModel(signed_in)
    routine.open_new(household_id)
    assert routine.same_as_last()
    head = next(p for p in routine.household["persons"] if p["relation"] == "head")
    assert routine.form["persons_met"] == [head["id"]]
    assert routine.submit()
    assert signed_in.store.record("visit", routine.form["id"])["persons_met"] == [head["id"]]


def test_my_records_are_in_time_order_whatever_the_offsets(tmp_path):
    from mobile import records
    from sync.store import SQLiteStore
    from tests.sync.store_contract.builders import (
        change,
        household_data,
        lead_input,
        pull,
        visit_input,
    )

    with SQLiteStore(tmp_path / "store.sqlite3") as store:
        store.set_state("user", {"id": 7})
        pull(store, change("household", household_data()))
        ids = {
            "v1": store.save_visit(visit_input(visited_at="2026-03-02T09:00:00+08:00"))["id"],
            "v2": store.save_visit(visit_input(visited_at="2026-03-02T02:30:00+00:00"))["id"],
            "l1": store.save_lead(lead_input(found_at="2026-03-02T02:00:00+02:00"))["id"],
        }
        # In UTC: v2 02:30, v1 01:00, l1 00:00 (as text they would sort v1, l1, v2).
        ordered = [r["id"] for r in records.mine(store)]
        assert ordered == [ids["v2"], ids["v1"], ids["l1"]]
        lead = records.mine(store)[-1]
        assert lead["household"] == {"id": "", "head_name": "赵桂兰"}


def test_the_badge_shows_the_last_attempt_and_the_24_hour_rule(household_id, signed_in):
    from datetime import UTC, datetime, timedelta

    from mobile.viewmodels.duelist import DueListViewModel
    from mobile.viewmodels.household import HouseholdViewModel
    from tests.mobile.conftest import at

    sync(signed_in)
    vm = DueListViewModel(signed_in)
    vm.refresh_badge()
    assert vm.badge_level == "ok" and vm.badge_last.startswith("上次同步 ")
    signed_in.runner.server_url = "http://127.0.0.1:9"  # nothing listens: the attempt fails
    outcome = {}
    signed_in.runner.sync(lambda *a: None, outcome.update, lambda e: outcome.update(e=e))
    signed_in.runner.join(60)
    assert "e" in outcome
    vm.refresh_badge()
    assert vm.badge_level == "failed" and vm.badge_last.startswith("同步失败 · 上次成功 ")
    file = HouseholdViewModel(signed_in)
    file.load(household_id)
    file.set_edit("phone", "13911112222")
    assert file.save_edit()
    at(signed_in, datetime.now(UTC) + timedelta(hours=25))
    vm.refresh_badge()
    assert vm.badge_level == "stale" and vm.badge_red


def test_another_language_relabels_the_due_list_without_a_recompute(ctx, monkeypatch):
    from mobile.i18n import language
    from mobile.viewmodels.duelist import DueListViewModel
    from tests.sync.store_contract.builders import change, household_data, pull

    pull(ctx.store, change("household", household_data()))
    vm = DueListViewModel(ctx)
    vm.refresh()
    vm.tab = "all"
    (row,) = [r for r in vm.rows if r["viewclass"] == "DueRow"]
    assert row["state_text"] == "逾期未走访"

    def no_recompute(*args, **kwargs):
        raise AssertionError("the statuses were recomputed on the UI thread")

    monkeypatch.setattr(ctx.store, "due_list", no_recompute)
    try:
        language.lang = "en"
        (row,) = [r for r in vm.rows if r["viewclass"] == "DueRow"]
        assert row["state_text"] != "逾期未走访" and row["state_text"].isascii()
    finally:
        language.lang = "zh"
