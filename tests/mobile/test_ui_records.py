"""The real app under Xvfb: stored records open read-only; a refused one is discarded on asking."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mobile.platform import paths
from mobile.vault import Vault
from sync.schedule import DEFAULT_TZ
from sync.store import SQLiteStore
from tests.mobile.ui import PIN, first_row, routine_visit, shot, sign_in, unlock

pytestmark = pytest.mark.timeout(240)


def due_row(app, household_id: str) -> dict:
    return next(r for r in app.vm("rows") if r.get("household_id") == household_id)


def test_a_waiting_visit_opens_read_only_and_back_leaves_it_queued(tablet, demo_server):
    app = tablet()
    sign_in(app)
    demo_server.stop()  # the visit stays waiting to be sent
    app.tap(id="tab_all")
    row = first_row(app)
    routine_visit(app, row["household_id"])
    [queued] = app.store("outbox_items")
    counts, visited = app.vm("counts"), due_row(app, row["household_id"])
    assert visited["due_state"] == "done"

    app.tap(id="nav_records")
    app.tap(row=["record_id", queued["id"]])
    assert app.screen() == "visit"
    assert app.vm("read_only") and "待上传" in app.vm("view_only")
    assert app.vm("form")["outcome"] == "completed"  # the values are shown
    assert app.call("get", id="submit", attr="disabled")
    shot(app, "read-only-visit")
    app.tap(id="back")
    assert app.screen() == "records"  # back where the form was opened from
    app.tap(id="back")

    assert app.screen() == "duelist"
    assert app.store("outbox_items") == [queued]  # still queued, unchanged
    stored = app.store("record", "visit", queued["id"])
    assert (stored["local_state"], stored["status"]) == ("pending", "submitted")
    assert app.vm("counts") == counts
    assert due_row(app, row["household_id"])["due_state"] == "done"

    # A new form opened and left without a change writes no draft either.
    other = first_row(app)
    app.tap(row=["household_id", other["household_id"]], text="走访")
    fresh = app.vm("form")["id"]
    app.tap(id="back")
    assert not app.store("get_state", "drafts")
    assert app.store("record", "visit", fresh) is None
    assert app.store("outbox_items") == [queued]


def refuse_everything_queued(data_dir: Path) -> None:
    """What a push answered "not in your caseload" leaves in the store (app stopped)."""
    # The store opens only with its key: the advisor's PIN gives it, as in the app.
    store = SQLiteStore(paths.store_path(data_dir), key=Vault(data_dir).unlock_pin(PIN))
    try:
        sent = store.mark_sent(m["mutation_id"] for m in store.pending_mutations())
        store.apply_results(
            [
                {
                    "mutation_id": m["mutation_id"],
                    "status": "rejected",
                    "reason": "not_in_caseload",
                    "errors": {"household_id": ["Not in your caseload."]},
                }
                for m in sent
            ]
        )
    finally:
        store.close()


def test_discarding_a_refused_visit_asks_first_and_cancel_keeps_it(tablet, demo_server, tmp_path):
    app = tablet()
    sign_in(app)
    demo_server.stop()
    # Not visited this period, so the refused visit is its only one: overdue, or else due
    # (which tab has rows depends on the day the demo data is made).
    app.tap(id="tab_overdue" if app.vm("counts")["overdue"] else "tab_due")
    row = first_row(app)
    routine_visit(app, row["household_id"])
    app.stop()
    refuse_everything_queued(tmp_path / "tablet")
    app = tablet()
    unlock(app)
    app.wait_synced()  # the unlock's sync fails: the server is down
    app.tap(id="nav_sync")
    [item] = app.vm("attention")
    assert item["refused"] and item["status"] == "rejected"
    assert item["title"] == "服务器拒收：不在本人负责的家庭中"
    shot(app, "refused-in-attention")

    app.tap(text="放弃这条记录")
    assert app.call("popup") == "放弃这条记录？"
    body = app.call("get", id="discard_body")
    today = datetime.now(ZoneInfo(DEFAULT_TZ)).strftime("%Y-%m-%d")
    assert row["head"] in body and "入户走访" in body and today in body
    shot(app, "discard-confirmation")
    app.tap(id="discard_keep")
    app.wait_for(lambda: app.call("popup") is None, "the popup to close")
    assert [i["id"] for i in app.store("attention_items")] == [item["id"]]
    assert app.store("record", "visit", item["record_id"]) is not None

    app.tap(text="放弃这条记录")
    app.tap(id="discard_confirm")
    app.wait_for(lambda: app.call("popup") is None, "the popup to close")
    assert app.store("attention_items") == []
    assert app.vm("attention") == []
    # The household's only visit is gone: its due-list row is no longer done.
    app.tap(id="back")
    app.tap(id="tab_all")
    assert due_row(app, row["household_id"])["due_state"] == row["due_state"] != "done"
