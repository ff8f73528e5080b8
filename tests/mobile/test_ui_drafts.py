"""The real app under Xvfb: one draft per household and kind, a list of drafts, taps land."""

from __future__ import annotations

import pytest

from tests.mobile.ui import first_row, shot, sign_in, wait_stored

pytestmark = pytest.mark.timeout(240)
GREEN = [0.2, 0.55, 0.2, 1]


def kept(app) -> dict:
    return app.store("get_state", "drafts") or {}


def start_visit(app, household_id: str, notes: str) -> str:
    """走访 on the row, 未遇, a note; waits until the draft is stored; back. The form's id."""
    app.tap(row=["household_id", household_id], text="走访")
    form_id = app.vm("form")["id"]
    app.tap(text="未遇")
    app.type(notes, id="notes")
    wait_stored(
        app, lambda: kept(app).get(form_id, {}).get("form", {}).get("notes") == notes, "draft"
    )
    app.tap(id="back")
    return form_id


def test_back_without_a_change_leaves_no_draft_and_visit_resumes_the_draft(tablet):
    app = tablet()
    sign_in(app)
    app.tap(id="tab_all")
    rows = [r for r in app.vm("rows") if r["viewclass"] == "DueRow"]
    first, second = rows[0]["household_id"], rows[1]["household_id"]

    app.tap(row=["household_id", first], text="走访")
    app.tap(id="back")
    assert kept(app) == {} and app.call("get", id="nav_drafts") == "草稿 0"

    form_id = start_visit(app, first, "敲门无人应答")
    assert list(kept(app)) == [form_id] and app.call("get", id="nav_drafts") == "草稿 1"
    # A second 走访 on the same household resumes the draft: no second form, no second draft.
    app.tap(row=["household_id", first], text="走访")
    assert app.vm("form")["id"] == form_id and app.call("get", id="notes") == "敲门无人应答"
    app.tap(id="back")
    assert list(kept(app)) == [form_id]

    other_id = start_visit(app, second, "邻居说出门买菜")
    assert set(kept(app)) == {form_id, other_id}
    app.tap(id="nav_drafts")
    assert {r["draft_id"] for r in app.vm("rows")} == {form_id, other_id}  # both reachable
    shot(app, "drafts")

    app.tap(row=["draft_id", other_id], text="放弃草稿")
    assert app.call("popup") == "放弃这份草稿？"
    shot(app, "draft-discard-confirmation")
    app.tap(id="discard_keep")
    app.wait_for(lambda: app.call("popup") is None, "the popup to close")
    assert set(kept(app)) == {form_id, other_id}
    assert app.store("record", "visit", other_id) is not None

    app.tap(row=["draft_id", other_id], text="放弃草稿")
    app.tap(id="discard_confirm")
    app.wait_for(lambda: app.call("popup") is None, "the popup to close")
    assert set(kept(app)) == {form_id}
    assert app.store("record", "visit", other_id) is None
    assert [r["draft_id"] for r in app.vm("rows")] == [form_id]

    app.tap(row=["draft_id", form_id], text="继续填写")
    assert app.screen() == "visit" and app.vm("form")["id"] == form_id


def test_the_community_filter_opens_by_tapping_its_centre(tablet):
    app = tablet()
    sign_in(app)
    assert kept(app) == {}
    app.tap(id="community")
    assert app.call("get", id="community", attr="is_open")
    app.tap(text="全部居委")  # the open list's first entry closes it
    app.wait_for(lambda: not app.call("get", id="community", attr="is_open"), "closed")
    # With a draft kept the filter still opens (nothing is laid over it).
    app.tap(id="tab_all")
    start_visit(app, first_row(app)["household_id"], "不在家")
    app.tap(id="community")
    assert app.call("get", id="community", attr="is_open")


def test_a_row_keeps_its_status_colour_after_it_was_tapped(tablet):
    app = tablet()
    sign_in(app)
    # The tab's first row is at the top of the list, so it is drawn: a row further down
    # the 全部 tab may be scrolled out of sight.
    for tab in ("tab_overdue", "tab_due"):
        app.tap(id=tab)
        shown = [r for r in app.vm("rows") if r["viewclass"] == "DueRow"]
        if shown:
            row = shown[0]
            break
    assert row["due_state"] in ("overdue", "due", "new")
    app.tap(row=["household_id", row["household_id"]])
    assert app.screen() == "household"
    app.tap(id="back")
    colour = app.call(
        "get", row=["household_id", row["household_id"]], text=row["state_text"], attr="color"
    )
    assert colour != GREEN
    assert (
        app.call("get", row=["household_id", row["household_id"]], attr="due_state")
        == row["due_state"]
    )
