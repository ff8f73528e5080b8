"""View-models against a real server and store, without a window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.mobile.conftest import at, sync
from tests.server_fixtures import PASSWORD


@pytest.fixture
def caseload(live_world):
    """Three households for street A's advisor, two in one community."""
    w = live_world
    made = [
        w.household("A1", advisor=w.adv_a, residence_address="甲街道幸福路9号"),
        w.household("A1", advisor=w.adv_a, residence_address="甲街道幸福路1号"),
        w.household("A2", advisor=w.adv_a, hardship_level="high"),
    ]
    return [str(h.id) for h in made]


def test_sign_in_with_a_wrong_password_keeps_waiting_records(ctx, live_server, live_world):
    from mobile.viewmodels.auth import SignInViewModel

    vm = SignInViewModel(ctx)
    vm.server_url, vm.username, vm.password = live_server, live_world.adv_a.username, "wrong"
    assert vm.submit()
    ctx.runner.join(30)
    assert vm.error == "用户名或密码错误" and vm.password == ""
    assert ctx.store.get_state("token") is None


def test_due_list_counts_groups_and_searches(caseload, signed_in):
    from mobile.viewmodels.duelist import DueListViewModel

    sync(signed_in)
    vm = DueListViewModel(signed_in)
    vm.refresh()
    assert vm.counts["all"] == 3
    vm.tab = "all"
    headers = [r for r in vm.rows if r["viewclass"] == "GroupHeader"]
    rows = [r for r in vm.rows if r["viewclass"] == "DueRow"]
    assert len(headers) == 2 and len(rows) == 3
    # Communities by the names the pull sends, not "居委 <id>".
    assert [h["text"] for h in headers] == ["A1社区 · 2", "A2社区 · 1"]
    assert {r["community"] for r in rows} == {"A1社区", "A2社区"}
    assert [label for _, label in vm.communities] == ["A1社区", "A2社区"]
    first_group = rows[:2]
    assert [r["address"] for r in first_group] == sorted(r["address"] for r in first_group)
    assert all(r["reason"] for r in rows)
    vm.search = "幸福路9"
    assert [r["address"] for r in vm.rows if r["viewclass"] == "DueRow"] == ["甲街道幸福路9号"]


def test_visit_form_autosaves_validates_and_submits(caseload, signed_in):
    from mobile import records
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    vm = VisitFormViewModel(signed_in)
    vm.open_new(caseload[0])
    vm.form["notes"] = "楼道里遇到户主，说身体还好"
    vm.form["outcome"] = "completed"
    vm.form["estimated_monthly_income"] = "12.345"
    assert vm.autosave()  # the bad amount is left out of the draft, not the rest
    assert "estimated_monthly_income" in vm.errors
    draft = signed_in.store.record("visit", vm.form["id"])
    assert draft["local_state"] == "draft" and draft["notes"] == "楼道里遇到户主，说身体还好"
    assert records.open_draft(signed_in.store)["form"]["estimated_monthly_income"] == "12.345"
    assert not vm.submit()
    vm.form["estimated_monthly_income"] = "1200.50"
    assert vm.submit()
    assert signed_in.store.pending_count() == 1
    assert records.open_draft(signed_in.store) is None
    sync(signed_in)
    assert signed_in.store.record("visit", vm.form["id"])["local_state"] == "synced"


def test_same_as_last_copies_what_a_routine_visit_repeats(caseload, signed_in):
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    household = signed_in.store.household(caseload[0])
    person = household["persons"][0]["id"]
    first = VisitFormViewModel(signed_in)
    first.open_new(caseload[0])
    first.form.update(
        {"outcome": "completed", "persons_met": [person], "living_conditions": "独居，生活能自理"}
    )
    assert first.submit()
    second = VisitFormViewModel(signed_in)
    second.open_new(caseload[0])
    assert second.has_last and second.same_as_last()
    assert second.form["living_conditions"] == "独居，生活能自理"
    assert second.form["persons_met"] == [person] and second.form["outcome"] == "completed"
    assert second.form["income_change"] == "same"


def test_receipts_follow_a_visit_to_the_server(caseload, signed_in):
    from mobile import receipts
    from mobile.viewmodels.household import HouseholdViewModel
    from mobile.viewmodels.visit import VisitFormViewModel

    sync(signed_in)
    form = VisitFormViewModel(signed_in)
    form.open_new(caseload[1])
    form.form["outcome"] = "not_home"
    assert form.submit()
    file = HouseholdViewModel(signed_in)
    file.load(caseload[1])
    assert file.timeline[0]["receipt"] == "待上传"
    assert ("居住地", "甲街道 · A1社区") in file.facts
    sync(signed_in)
    file.load(caseload[1])
    assert file.timeline[0]["receipt"].startswith("服务器已收到 ")
    assert receipts.stage(signed_in.store.record("visit", form.form["id"])) == "received"


def test_badge_turns_red_after_a_day_unsent(caseload, signed_in):
    from mobile.viewmodels.duelist import DueListViewModel
    from mobile.viewmodels.household import HouseholdViewModel

    sync(signed_in)
    file = HouseholdViewModel(signed_in)
    file.load(caseload[2])
    file.set_edit("phone", "13911112222")
    assert file.save_edit()
    vm = DueListViewModel(signed_in)
    vm.refresh_badge()
    assert vm.badge == "待上传 1" and not vm.badge_red
    at(signed_in, datetime.now(UTC) + timedelta(hours=25))
    vm.refresh_badge()
    assert vm.badge_red


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "电话号码"), ("residence_address", ""), ("phone", "1" * 30)],
)
def test_household_edit_shows_the_shared_schema_message(caseload, signed_in, field, value):
    from mobile.viewmodels.household import HouseholdViewModel

    sync(signed_in)
    vm = HouseholdViewModel(signed_in)
    vm.load(caseload[0])
    vm.set_edit(field, value)
    assert not vm.save_edit()
    assert field in vm.errors and vm.errors[field]
    assert signed_in.store.pending_count() == 0


def test_password_is_never_kept(ctx, live_server, live_world):
    from mobile.viewmodels.auth import SignInViewModel

    vm = SignInViewModel(ctx)
    vm.server_url, vm.username, vm.password = live_server, live_world.adv_a.username, PASSWORD
    vm.submit()
    ctx.runner.join(30)
    raw = b"".join(p.read_bytes() for p in ctx.data_dir.iterdir() if p.is_file())
    assert PASSWORD.encode() not in raw


def test_lead_form_shows_errors_beside_fields_then_reaches_the_street_queue(
    signed_in, live_world, session
):
    from mobile import receipts, records
    from mobile.viewmodels.lead import LeadFormViewModel
    from mobile.viewmodels.records import RecordsViewModel
    from server.models import Lead

    vm = LeadFormViewModel(signed_in)
    vm.open_new()
    vm.set("head_name", "赵桂兰")
    vm.set("phone", "电话")
    assert not vm.submit()
    assert set(vm.errors) == {"residence_address", "observations", "phone"}
    assert vm.errors["observations"] == "必填项"
    vm.autosave()  # the raw form survives a kill, like any form
    assert records.open_draft(signed_in.store)["entity"] == "lead"

    vm.set("residence_address", "乙街道幸福路12号")
    vm.set("observations", "独居老人，屋顶漏水")
    vm.set("phone", "")
    vm.toggle("suggested_categories", "tekun")
    assert vm.submit() and records.open_draft(signed_in.store) is None
    waiting = receipts.waiting_ids(signed_in.store)
    assert waiting == [("lead", vm.form["id"])]
    sync(signed_in)

    stored = session.get(Lead, uuid.UUID(vm.form["id"]))
    assert (stored.street_id, stored.suggested_categories) == (live_world.street_a.id, ["tekun"])
    listing = RecordsViewModel(signed_in)
    listing.refresh()
    [row] = [r for r in listing.rows if r["entity"] == "lead"]
    assert row["title"] == "赵桂兰 · 走访发现" and row["receipt"].startswith("服务器已收到")


def test_interview_form_submits_and_queues_the_interview(caseload, signed_in):
    from mobile.viewmodels.interview import InterviewFormViewModel

    sync(signed_in)
    vm = InterviewFormViewModel(signed_in)
    vm.open_new(caseload[0])
    vm.set("interviewee_role", "neighbour")
    vm.set("corroborates", "yes")
    vm.set("statement", "邻居反映户主近期身体不好。")
    assert vm.submit(), vm.errors
    stored = signed_in.store.record("interview", vm.form["id"])
    assert (stored["status"], stored["local_state"]) == ("submitted", "pending")
