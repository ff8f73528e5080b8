"""The real app under Xvfb: every message in Chinese, errors in red, nothing jumps."""

from __future__ import annotations

import re

import pytest

from tests.mobile.ui import first_row, shot, sign_in

pytestmark = pytest.mark.timeout(240)
RED = [0.8, 0.1, 0.1, 1]
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def test_a_bad_amount_says_so_in_chinese_in_red_and_the_fields_below_stay_put(tablet):
    app = tablet()
    sign_in(app)
    app.tap(id="tab_all")
    app.tap(row=["household_id", first_row(app)["household_id"]], text="走访")
    assert app.call("get", id="urgent") == "否"  # not a Switch saying OFF
    notes_y = app.call("get", id="notes", attr="y")
    app.tap(text="见面走访")
    app.type("-5", id="income")
    app.tap(id="submit")
    assert app.screen() == "visit"
    assert app.call("get", id="income_error") == "金额应不小于 0 且小于 10,000,000"
    assert app.call("get", id="notice") == "请修正标红的项目"
    assert app.call("get", id="notice", attr="color") == RED
    assert app.call("get", id="notes", attr="y") == notes_y  # the message's space was kept
    shot(app, "visit-error")
    app.type("800", id="income")
    app.wait_for(lambda: app.call("get", id="income_error") == "", "the message to go")
    assert app.call("get", id="notes", attr="y") == notes_y
    app.tap(id="urgent")
    assert app.call("get", id="urgent") == "是" and app.vm("form")["urgent"] is True


def test_an_empty_statement_is_required_in_chinese(tablet):
    app = tablet()
    sign_in(app)
    app.tap(id="tab_all")
    app.tap(row=["household_id", first_row(app)["household_id"]])
    app.tap(id="start_interview")
    app.tap(id="submit")
    assert app.call("get", id="statement_error") == "必填项"


def test_offline_sync_says_what_happened_and_what_is_safe(tablet, demo_server):
    app = tablet()
    sign_in(app)
    demo_server.stop()
    app.tap(id="nav_sync")
    app.tap(id="sync_now")
    app.wait_synced()
    text = app.call("get", id="last_result")
    assert text.endswith("同步失败：无法连接服务器：记录已保存在本机，联网后自动上传")
    assert not ENGLISH_WORD.search(text)
    shot(app, "sync-offline")
