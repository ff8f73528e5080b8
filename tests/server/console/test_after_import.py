"""What leads on from a page: the roster report to the caseload page with the new
unassigned households chosen; the handover view's from whom and which community; the
filters offering every community the dashboard counts (人户分离 households included)."""

from __future__ import annotations

import re

from tests.server.console.test_roster import _confirm, _report_path, good, upload  # noqa: F401


def test_after_an_import_the_report_leads_to_assigning_the_new_households(
    world,
    console,
    good,  # noqa: F811
):
    c = console.as_user(world.sup_a)
    report = _report_path(upload(c, good))
    assert "assign-unassigned" not in c.get(report).get_data(as_text=True)  # not before
    assert _confirm(c, report).status_code == 302
    page = c.get(report).get_data(as_text=True)
    link = re.search(r'id="assign-unassigned" href="([^"]+)"', page)
    assert link and "3 户" in page
    target = link.group(1).replace("&amp;", "&")
    caseloads = c.get(target).get_data(as_text=True)
    assert re.search(r'id="kind-unassigned" value="unassigned" checked', caseloads)
    assert re.search(r'<option selected value="all">|<option value="all" selected', caseloads)
    assert "3 户尚未分配社区救助顾问" in caseloads
    preview = c.get(
        f"/console/caseloads/preview?kind=unassigned&unassigned=all&to_advisor={world.adv_a.id}"
    )
    assert preview.status_code == 200
    assert "3" in preview.get_data(as_text=True)


def test_the_handover_view_says_from_whom_and_which_community(world, console, session):
    world.adv_a.display_name = "王秀兰"
    second = world.user("advisor", world.street_a)
    second.display_name = "李建国"
    session.commit()
    world.household("A1", advisor=world.adv_a)
    world.household("A2", advisor=world.adv_a)
    c = console.as_user(world.sup_a)
    preview = c.get(
        f"/console/caseloads/preview?kind=advisor&advisor={world.adv_a.id}&to_advisor={second.id}"
    ).get_data(as_text=True)
    fields = dict(
        re.findall(r'name="(kind|source|to_advisor|expected)"[^>]*value="([^"]*)"', preview)
    )
    assert c.post("/console/caseloads/move", fields).status_code == 302
    page = c.get("/console/caseloads/handovers").get_data(as_text=True)
    line = re.search(r'class="mb-1 handover-from">([^<]+)<', page).group(1)
    assert "原负责顾问：王秀兰" in line and "社区：A1社区、A2社区" in line


def test_filters_offer_the_communities_of_split_households(world, console):
    split = world.household("A1", residence="B1")  # registered in A, lives in street B
    c = console.as_user(world.sup_a)
    due = c.get("/console/due").get_data(as_text=True)
    b1 = str(world.community["B1"].id)
    assert f'value="{b1}"' in due and "B1社区" in due
    filtered = c.get(f"/console/due?community={b1}")
    assert filtered.status_code == 200 and split.head_name in filtered.get_data(as_text=True)
    assert f'value="{b1}"' in c.get("/console/review").get_data(as_text=True)
    dashboard = c.get("/console/").get_data(as_text=True)
    assert f"/console/due?community={b1}" in dashboard
    # A community no household of the area touches stays out of reach.
    b2 = world.community["B2"].id
    assert c.get(f"/console/due?community={b2}").status_code in (400, 403)
