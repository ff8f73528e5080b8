"""The real app under Xvfb through an advisor's day: a routine visit, its confirmation, the
household file's history, the sync badge after an outage."""

from __future__ import annotations

import pytest

from tests.mobile.ui import first_row, shot, sign_in

pytestmark = pytest.mark.timeout(240)
TABS = ("overdue", "due", "done", "all")


def test_a_routine_visit_meets_someone_is_confirmed_and_shows_in_the_file(tablet):
    app = tablet()
    sign_in(app)
    # The list is counted on the UI thread once the sync's answer is posted there.
    app.wait_for(lambda: app.vm("counts")["all"] > 0, "the due list's counts")
    counts = app.vm("counts")
    assert app.vm("tab") == next(t for t in TABS if counts[t])  # the first non-empty tab
    app.tap(id="tab_all")
    row = first_row(app)
    app.tap(row=["household_id", row["household_id"]])
    assert app.screen() == "household"
    app.tap(id="start_visit")
    visit_id = app.vm("form")["id"]
    app.tap(text="见面走访")
    app.tap(id="same_as_last")
    assert app.vm("form")["persons_met"]  # 同上次 fills in whom the visit met
    app.type("一切正常，户主在家", id="notes")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "duelist", "the due list")
    assert app.call("get", id="flash") == f"已提交：{row['head']}，等待上传"
    assert app.store("record", "visit", visit_id)["persons_met"]
    # Only that household's row was recomputed, and the widget on screen shows it.
    shown = app.call("get", row=["household_id", row["household_id"]], attr="due_state")
    assert shown == "done"
    shot(app, "duelist-submitted")

    app.tap(row=["household_id", row["household_id"]])
    entry = app.call("get", row=["record_id", visit_id], attr="text")
    assert "记录：一切正常，户主在家" in entry and "待上传" in entry
    shot(app, "household-history")
    app.tap(row=["record_id", visit_id])
    assert app.screen() == "visit" and app.vm("read_only")
    app.tap(id="back")
    assert app.screen() == "household"  # back where the advisor came from
    # 返回 from a new form opened in the file returns to the file too.
    app.tap(id="start_interview")
    app.tap(id="back")
    assert app.screen() == "household"


def test_the_badge_turns_amber_after_a_failed_attempt_and_green_again(tablet, demo_server):
    app = tablet()
    sign_in(app)
    assert app.call("get", id="badge", attr="level") == "ok"
    demo_server.stop()
    app.tap(id="nav_sync")
    app.tap(id="sync_now")
    app.wait_synced()
    app.tap(id="back")
    assert app.call("get", id="badge", attr="level") == "failed"
    assert app.vm("badge_last").startswith("同步失败 · 上次成功 ")
    shot(app, "duelist-sync-failed")
    demo_server.start()
    app.tap(id="nav_sync")
    app.tap(id="sync_now")
    app.wait_synced()
    app.tap(id="back")
    assert app.call("get", id="badge", attr="level") == "ok"


def test_start_up_logs_one_quiet_line_per_missing_provider(tablet, tmp_path):
    app = tablet()
    app.stop()
    log = (tmp_path / "tablet-app.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "CRITICAL" not in log
    assert "ERROR" not in log
    assert len([line for line in log.splitlines() if "no GPS on this platform" in line]) == 1
