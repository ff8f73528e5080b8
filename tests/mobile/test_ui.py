"""The real app under Xvfb against a real server with demo data, driven through its widgets."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server.models import Household, Lead, User, Visit
from server.services.core.transaction import unit_of_work
from server.services.households import households as household_service
from server.services.review import workflow
from sync.schedule import DEFAULT_TZ
from tests.mobile.ui import first_row, routine_visit, sign_in, sync_from_screen, unlock, wait_stored

pytestmark = pytest.mark.timeout(240)


def test_visit_from_due_list_to_server_in_few_taps(tablet, session):
    app = tablet()
    sign_in(app)
    counts = app.vm("counts")
    app.tap(id="tab_overdue" if counts["overdue"] else "tab_all")
    row = first_row(app, "overdue")
    app.call("taps", reset=True)
    routine_visit(app, row["household_id"])
    assert app.call("taps") <= 8  # a "completed, nothing changed" visit (issue 9)
    sync_from_screen(app)
    visits = session.scalars(
        select(Visit).where(Visit.household_id == uuid.UUID(row["household_id"]))
    ).all()
    mine = [v for v in visits if v.visited_at > datetime.now(UTC).replace(hour=0, minute=0)]
    assert len(mine) == 1 and mine[0].status == "submitted" and mine[0].outcome == "completed"
    assert app.vm("last_result", screen="sync").startswith(
        time.strftime("%m-%d")
    ) or "同步成功" in app.vm("last_result", screen="sync")


def test_offline_visits_arrive_exactly_once(tablet, demo_server, session):
    app = tablet()
    sign_in(app)
    device = app.call("vm", attr="about", screen="settings").split("\n")[1].split(" ")[-1]
    demo_server.stop()
    app.tap(id="tab_all")
    rows = [r for r in app.vm("rows") if r["viewclass"] == "DueRow"][:3]
    for row in rows:
        routine_visit(app, row["household_id"])
    assert app.vm("badge") == "待上传 3"
    app.stop()
    app = tablet()
    unlock(app)
    demo_server.start()
    sync_from_screen(app)
    count = session.scalar(select(func.count()).select_from(Visit).where(Visit.device_id == device))
    assert count == 3
    assert app.vm("pending", screen="sync") == "待上传 0 条"


def test_returned_visit_is_corrected_and_conflict_shows_both_values(tablet, session):
    app = tablet()
    sign_in(app)
    app.tap(id="tab_all")
    row = first_row(app)
    app.tap(row=["household_id", row["household_id"]], text="走访")
    app.tap(text="见面走访")
    app.type("楼道里见到户主，精神尚好。", id="notes")
    app.tap(id="submit")
    sync_from_screen(app)
    visit = session.scalars(
        select(Visit).where(Visit.notes == "楼道里见到户主，精神尚好。")
    ).one()  # Chinese typed into the form arrives intact
    supervisor = session.scalars(select(User).where(User.username == "supervisor1")).one()
    with unit_of_work(session):
        workflow.return_record(
            session,
            actor=supervisor,
            entity="visit",
            record_id=visit.id,
            comment="请补充收入情况",
            now=datetime.now(UTC),
        )
    # The phone, changed on the server and on the tablet before either syncs.
    household_id = visit.household_id
    app.tap(id="back")
    app.tap(id="nav_sync")
    app.tap(id="sync_now")
    app.wait_synced()
    app.tap(id="back")
    app.wait_for(lambda: app.vm("returned_count") == "退回 1", "the returned count")
    # A returned record opens editable; opened and left unchanged, nothing is written.
    app.tap(id="nav_records")
    app.tap(row=["record_id", str(visit.id)])
    assert not app.vm("read_only") and not app.call("get", id="submit", attr="disabled")
    app.tap(id="back")
    assert app.screen() == "records"  # back where the form was opened from
    app.tap(id="back")
    stored = app.store("record", "visit", str(visit.id))
    assert (stored["local_state"], stored["status"]) == ("synced", "returned")
    assert not app.store("get_state", "drafts") and app.store("outbox_items") == []
    app.tap(id="nav_returned")
    app.tap(row=["record_id", str(visit.id)])
    assert "请补充收入情况" in app.vm("review_comment")
    app.type("800", id="income")
    app.tap(id="submit")
    app.tap(id="nav_sync")
    app.tap(id="sync_now")
    app.wait_synced()
    session.expire_all()
    assert session.get(Visit, visit.id).status == "resubmitted"
    assert str(session.get(Visit, visit.id).estimated_monthly_income) == "800.00"

    app.tap(id="back")
    app.type(session.get(Household, household_id).head_name, id="search")
    app.tap(row=["household_id", str(household_id)])
    app.type("13900001111", id="edit_phone")
    app.tap(id="save_edit")
    with unit_of_work(session):
        household_service.update_household(
            session,
            actor=supervisor,
            household_id=household_id,
            changes={"phone": "13700002222"},
            now=datetime.now(UTC),
            tz=DEFAULT_TZ,
        )
    app.tap(id="back")
    sync_from_screen(app)
    attention = app.vm("attention", screen="sync")
    assert attention and attention[0]["status"] == "conflict"
    pair = attention[0]["pairs"][0]
    assert pair["mine"] == "本机：13900001111" and pair["theirs"] == "服务器：13700002222"


def test_a_kill_while_typing_offers_the_draft_again(tablet):
    app = tablet()
    sign_in(app)
    app.tap(id="tab_all")
    row = first_row(app)
    app.tap(row=["household_id", row["household_id"]], text="走访")
    app.tap(text="未遇")
    app.type("敲门无人应答，邻居说去医院了", id="notes")
    wait_stored(
        app,
        lambda: (
            [d["form"].get("notes") for d in (app.store("get_state", "drafts") or {}).values()]
            == ["敲门无人应答，邻居说去医院了"]
        ),
        "the autosaved draft",
    )
    app.kill()
    app = tablet()
    unlock(app)
    assert app.call("get", id="nav_drafts") == "草稿 1"
    app.tap(id="nav_drafts")
    assert row["head"] in app.vm("rows")[0]["title"]
    app.tap(text="继续填写")
    assert app.screen() == "visit"
    assert app.call("get", id="notes") == "敲门无人应答，邻居说去医院了"
    assert app.vm("form")["outcome"] == "not_home"


def test_a_new_lead_is_checked_beside_its_fields_and_reaches_the_queue(tablet, session):
    app = tablet()
    sign_in(app)
    app.tap(id="new_lead")
    assert app.screen() == "lead"
    app.type("赵桂兰", id="head_name")
    app.tap(id="submit")
    assert set(app.vm("errors")) == {"residence_address", "observations"}
    app.type("幸福路12号3栋201", id="residence_address")
    app.type("独居老人，屋顶漏水，靠邻居接济。", id="observations")
    app.tap(text="特困人员")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "records", "the records list")
    [row] = [r for r in app.vm("rows") if r["entity"] == "lead"]
    assert row["receipt"] == "待上传"
    app.tap(id="back")
    sync_from_screen(app)
    lead = session.scalars(select(Lead)).one()
    assert (lead.head_name, lead.suggested_categories) == ("赵桂兰", ["tekun"])
    assert lead.observations == "独居老人，屋顶漏水，靠邻居接济。"  # typed Chinese, intact
    app.tap(id="back")
    app.tap(id="nav_records")
    [row] = [r for r in app.vm("rows") if r["entity"] == "lead"]
    assert row["receipt"].startswith("服务器已收到")
