"""Stored records open read-only unless returned; autosave writes only a change, never a draft."""

from __future__ import annotations

import uuid

import pytest

from tests.mobile.conftest import sync


@pytest.fixture
def household_id(live_world):
    return str(live_world.household("A1", advisor=live_world.adv_a).id)


def submitted_visit(ctx, household_id: str) -> str:
    from mobile.viewmodels.visit import VisitFormViewModel

    vm = VisitFormViewModel(ctx)
    vm.open_new(household_id)
    vm.form.update({"outcome": "completed", "notes": "见到户主"})
    assert vm.submit()
    return vm.form["id"]


def opened(ctx, record_id: str):
    from mobile.viewmodels.visit import VisitFormViewModel

    vm = VisitFormViewModel(ctx)
    vm.open_existing(ctx.store.record("visit", record_id))
    return vm


def test_a_queued_visit_opens_read_only_and_is_never_made_a_draft(household_id, signed_in):
    sync(signed_in)
    record_id = submitted_visit(signed_in, household_id)
    queued = signed_in.store.outbox_items()
    vm = opened(signed_in, record_id)
    assert vm.read_only and "待上传" in vm.view_only and vm.form["notes"] == "见到户主"
    assert not vm.autosave() and not vm.submit()
    vm.set("notes", "改了")  # ignored: a view
    assert vm.form["notes"] == "见到户主"
    # Even a form that was (wrongly) left editable cannot withdraw it by autosaving.
    vm.read_only = False
    vm.form["notes"] = "改了"
    assert not vm.autosave()
    assert signed_in.store.outbox_items() == queued
    assert signed_in.store.record("visit", record_id)["local_state"] == "pending"


def test_submitting_a_visit_the_server_holds_says_so_and_never_crashes(household_id, signed_in):
    sync(signed_in)
    record_id = submitted_visit(signed_in, household_id)
    sync(signed_in)
    vm = opened(signed_in, record_id)
    assert vm.read_only and "服务器已收到" in vm.view_only
    vm.read_only = False  # a stale form (as every record opened before): still no crash
    vm.form["notes"] = "改了"
    assert not vm.submit() and vm.notice == "服务器已收下这条记录，不能再修改"
    assert signed_in.store.record("visit", record_id)["notes"] == "见到户主"


def test_an_unchanged_form_writes_nothing(household_id, signed_in):
    from mobile import records
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    vm = VisitFormViewModel(signed_in)
    vm.open_new(household_id)
    assert not vm.autosave() and records.open_draft(signed_in.store) is None
    vm.set("outcome", "not_home")
    assert vm.autosave()
    assert signed_in.store.record("visit", vm.form["id"])["local_state"] == "draft"
    assert not vm.autosave()  # nothing changed since


def test_a_refused_visit_is_described_and_discarded_only_on_request(household_id, signed_in):
    from mobile.viewmodels.sync import SyncViewModel

    sync(signed_in)
    record_id = submitted_visit(signed_in, household_id)
    store = signed_in.store
    [sent] = store.mark_sent(m["mutation_id"] for m in store.pending_mutations())
    refusal = {"status": "rejected", "reason": "not_in_caseload", "errors": {"household_id": []}}
    store.apply_results([{"mutation_id": sent["mutation_id"], **refusal}])
    vm = SyncViewModel(signed_in)
    vm.refresh()
    [item] = vm.attention
    head = store.household(household_id)["head_name"]
    assert item["refused"] and item["what"].startswith(f"入户走访 · {head} · ")
    assert store.record("visit", record_id) is not None
    vm.discard(item["id"])
    assert vm.attention == [] and store.attention_items() == []


def test_a_draft_whose_record_was_since_queued_opens_read_only_and_is_dropped(
    household_id, signed_in
):
    from mobile import records
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    vm = VisitFormViewModel(signed_in)
    vm.open_new(household_id)
    vm.set("outcome", "completed")
    assert vm.autosave()
    stale = records.open_draft(signed_in.store)
    assert vm.submit() and records.drafts(signed_in.store) == []
    # The raw form comes back (as an app before one draft per form could leave it).
    records.remember_draft(signed_in.store, "visit", household_id, stale["form"], "")
    resumed = VisitFormViewModel(signed_in)
    resumed.restore(records.open_draft(signed_in.store))
    assert resumed.read_only and not resumed.submit()
    assert records.drafts(signed_in.store) == []
    assert signed_in.store.record("visit", stale["form"]["id"])["local_state"] == "pending"


def test_one_draft_per_household_and_kind_is_found_for_a_new_visit(household_id, signed_in):
    from mobile import records
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    vm = VisitFormViewModel(signed_in)
    vm.open_new(household_id)
    vm.set("notes", "楼道里遇到")
    vm.autosave()
    draft = records.draft_for(signed_in.store, "visit", household_id)
    assert draft["form"]["id"] == vm.form["id"]
    assert records.draft_for(signed_in.store, "interview", household_id) is None
    records.discard(signed_in.store, draft)
    assert records.drafts(signed_in.store) == []


def returned_visit(ctx, world, household_id: str) -> str:
    """A visit submitted, returned by the supervisor and pulled back: its id."""
    from datetime import UTC, datetime

    from server.services.core.transaction import unit_of_work
    from server.services.review import workflow

    record_id = submitted_visit(ctx, household_id)
    sync(ctx)
    with unit_of_work(world.session):
        workflow.return_record(
            world.session,
            actor=world.sup_a,
            entity="visit",
            record_id=uuid.UUID(record_id),
            comment="请补充",
            now=datetime.now(UTC),
        )
    sync(ctx)
    assert ctx.store.record("visit", record_id)["status"] == "returned"
    return record_id


def test_an_autosaved_correction_is_not_resumed_as_a_new_visit(household_id, signed_in, live_world):
    from mobile import records

    sync(signed_in)
    record_id = returned_visit(signed_in, live_world, household_id)
    vm = opened(signed_in, record_id)
    assert not vm.read_only
    vm.set("notes", "补充了收入")
    assert vm.autosave()
    assert signed_in.store.record("visit", record_id)["local_state"] == "draft"
    # 走访 at the household starts today's visit, not the old correction.
    assert records.draft_for(signed_in.store, "visit", household_id) is None


def test_the_holder_goes_on_correcting_a_predecessors_returned_record(household_id, signed_in):
    from mobile import records

    sync(signed_in)
    store = signed_in.store
    record_id = submitted_visit(signed_in, household_id)
    sync(signed_in)
    stored = store.record("visit", record_id)
    # The correction autosaved: a draft over the server copy, authored by the previous
    # holder; the household is now the signed-in advisor's.
    begun = {**stored, "local_state": "draft", "status": "draft", "advisor_id": -1}
    assert records.editable(store, "visit", begun)
    new = {**begun, "version": None}  # someone else's new draft stays theirs
    assert not records.editable(store, "visit", new)


def test_a_curable_refusal_is_dismissed_not_discarded_and_becomes_a_listed_draft(
    household_id, signed_in
):
    from mobile import records
    from mobile.viewmodels.sync import SyncViewModel

    sync(signed_in)
    record_id = submitted_visit(signed_in, household_id)
    store = signed_in.store
    [sent] = store.mark_sent(m["mutation_id"] for m in store.pending_mutations())
    refusal = {"status": "rejected", "reason": "invalid", "errors": {"notes": ["Too long."]}}
    store.apply_results([{"mutation_id": sent["mutation_id"], **refusal}])
    vm = SyncViewModel(signed_in)
    vm.refresh()
    [item] = vm.attention
    # Not given up for good: no 放弃 / 无法找回, the usual 知道了.
    assert not item["refused"] and item["what"] == ""
    vm.resolve(item["id"], "theirs")
    assert store.record("visit", record_id)["local_state"] == "draft"
    [draft] = records.drafts(store)  # under 草稿, to correct and send again
    assert draft["form"]["id"] == record_id and draft["form"]["notes"] == "见到户主"
    assert records.draft_for(store, "visit", household_id) == draft
