"""Roster import in a real browser: a file with one bad row is shown refused and cannot
be imported; the fixed file imports."""

from __future__ import annotations

from sqlalchemy import func, select

from server.models import Household
from tests.e2e.conftest import needs_chromium
from tests.factories import keep_loaded_after_commit
from tests.server.roster.conftest import csv_bytes, row

pytestmark = needs_chromium


def _upload(page, live_server, path) -> None:
    response = page.goto(f"{live_server}/console/roster")
    assert response.ok, page.content()[:3000]
    page.set_input_files("input[type=file]", str(path))
    page.click("#roster-upload button[type=submit]")
    page.wait_for_url(f"{live_server}/console/roster/*")


def _households(session) -> int:
    # Read, then end the transaction at once: on SQLite it holds the server's write lock.
    count = session.scalar(select(func.count()).select_from(Household))
    session.rollback()
    return count


def test_a_bad_row_blocks_the_import_until_the_file_is_fixed(
    live_server, world, session, console_page, tmp_path
):
    keep_loaded_after_commit(session)
    session.commit()
    rows = [row(n) for n in range(1, 4)]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([*rows[:1], {**rows[1], "hardship_level": "特别困难"}, rows[2]]))
    page = console_page(world.sup_a)

    _upload(page, live_server, bad)
    content = page.content()
    assert "拒绝 1" in content and "未知的值“特别困难”" in content
    assert page.is_disabled("#roster-import button")
    # Even a forced submit (the button enabled by hand) is refused by the server.
    page.eval_on_selector("#roster-import button", "b => b.disabled = false")
    page.click("#roster-import button")
    page.wait_for_load_state()
    assert "请修改被拒绝的行后重新上传" in page.content()
    assert _households(session) == 0

    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(csv_bytes(rows))
    _upload(page, live_server, fixed)
    assert "新建 3" in page.content() and "拒绝 0" in page.content()
    page.click("#roster-import button")
    page.wait_for_load_state()
    assert "已导入：新建 3 户" in page.content()
    assert _households(session) == 3
