"""The household file shows the household's notes, links its records from the timeline, and
keeps names whole in the PDF's 经办人 column."""

from __future__ import annotations

import pytest

from server.models import Household
from tests.factories import NOW, visit_row
from tests.server.console.test_household_file import _pdf_text, needs_pdftotext


@pytest.fixture
def home(world, session):
    """A household with two lines of notes, one visit and one interview-less history."""
    household = world.household("A1", advisor=world.adv_a, notes="独居老人\n子女在外地务工")
    visit = visit_row(household, NOW, status="submitted", advisor_id=world.adv_a.id)
    session.add(visit)
    session.commit()
    return household, visit


def test_the_notes_are_shown_on_the_page_and_in_print(world, console, home):
    household, _visit = home
    console.as_user(world.sup_a)
    page = console.get(f"/console/households/{household.id}").get_data(as_text=True)
    assert "备注" in page and "独居老人<br>子女在外地务工" in page
    printed = console.get(f"/console/households/{household.id}/print").get_data(as_text=True)
    assert "独居老人" in printed and "子女在外地务工" in printed


def test_timeline_records_link_to_their_record(world, console, home):
    household, visit = home
    console.as_user(world.sup_a)
    page = console.get(f"/console/households/{household.id}").get_data(as_text=True)
    link = f'href="/console/review/visit/{visit.id}"'
    assert link in page
    assert console.get(f"/console/review/visit/{visit.id}").status_code == 200


@needs_pdftotext
def test_the_pdf_keeps_the_who_column_names_whole(world, console, session, home, tmp_path):
    household, _visit = home
    world.sup_a.display_name = "周桂英"
    session.commit()
    console.as_user(world.sup_a)
    for level in ("low", "high", "medium"):
        version = session.get(Household, household.id).version
        data = {"level-hardship_level": level, "level-version": version}
        console.post(f"/console/households/{household.id}/level", data)
        session.expire_all()
    # A long entry in 内容 squeezes the other columns, as a real override's reason does.
    override = {
        "override-cycle": "monthly",
        "override-reason": "见低保台账" + "LB20260001000200030004" * 4,
        "override-expires_on": "2099-06-30",
        "override-version": session.get(Household, household.id).version,
    }
    assert console.post(f"/console/households/{household.id}/override", override).status_code == 302
    text = _pdf_text(console.get(f"/console/households/{household.id}.pdf").get_data(), tmp_path)
    assert text.count("周桂英") >= 4 and "经办人" in text, text
