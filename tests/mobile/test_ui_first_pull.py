"""The real app under Xvfb signing in for the first time: the caseload arrives in several
pages, the due list says how far it is ("n / total") and never that it is empty."""

from __future__ import annotations

import re

import pytest

from tests.mobile.ui import PASSWORD, PIN

pytestmark = pytest.mark.timeout(300)
PROGRESS = re.compile(r"^正在下载走访对象：[\d,]+ / [\d,]+$")


@pytest.fixture
def demo_households() -> int:
    # Enough for advisor1's first pull to take more than one page of 1,000 changes.
    return 900


def test_the_first_pull_shows_n_of_total_and_never_an_empty_list(tablet):
    app = tablet()
    app.type("advisor1", id="username")
    app.type(PASSWORD, id="password")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "pin", "the PIN screen")
    # From before the pull starts: every text the list's empty-state line shows.
    app.call("watch", screen="duelist", id="empty")
    app.type(PIN, id="pin")
    app.type(PIN, id="repeat")
    app.tap(id="submit")
    app.wait_for(lambda: app.screen() == "duelist", "the due list")
    app.wait_synced()
    shown = app.call("watched", screen="duelist", id="empty")
    progress = [text for text in shown if PROGRESS.match(text)]
    assert progress, shown
    pairs = [[int(n.replace(",", "")) for n in re.findall(r"[\d,]+", t)] for t in progress]
    assert any(0 < received < total for received, total in pairs), shown  # seen mid-way
    assert len({total for _, total in pairs}) == 1  # one total for the whole pull
    assert "没有符合条件的家庭" not in shown
    assert app.call("get", id="empty") == ""  # the list itself is shown now
    assert app.vm("counts")["all"] > 0
