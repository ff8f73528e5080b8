"""Issue 16 cases 5 and 9 on the roster: a re-import keeps what changed since the last
import, writes only the approved plan, keeps the assignee's street rule, and starts an
imported household's cycle from its last visit or the import."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from server.models import Household, Warning
from server.services import roster
from server.services.caseload import assignments
from server.services.core.transaction import unit_of_work
from server.services.households.schedule import DueQuery, due_list
from server.services.roster import report
from server.services.roster.write import PlanChanged
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW
from tests.server.roster.conftest import EN, ZH, csv_bytes, do_import, row
from tests.server.sync_helpers import Tablet


def dry_run(session, actor, data: bytes):
    plan = roster.check(
        session, actor=actor, table=roster.read_table(data, "r.csv"), now=NOW, tz=DEFAULT_TZ
    )
    session.rollback()
    return plan


def household(session, number: str) -> Household:
    session.expire_all()
    return session.scalar(select(Household).where(Household.external_id == number))


def _assign(session, home: Household, advisor) -> None:
    with unit_of_work(session):
        assignments.assign(session, household=home, advisor_id=advisor.id, actor=None, now=NOW)


def test_a_reimport_keeps_what_an_advisor_changed_in_the_field(world, session, client, rows):
    """Case 5: the monthly export no longer reverts a phone edited on the tablet."""
    do_import(session, world.admin, csv_bytes(rows))
    home = household(session, "R00001")
    _assign(session, home, world.adv_a)
    tablet = Tablet(client, world.adv_a)
    edit = tablet.mutation(
        "household", home.id, {"phone": "13900139000"}, op="update", base_version=home.version
    )
    assert tablet.push([edit])[0]["status"] == "applied"
    # Next month's file: the same phone as before, and a new address from the office.
    data = csv_bytes([{**rows[0], "residence_address": "乙街道9号"}, *rows[1:]])
    plan = dry_run(session, world.admin, data)
    first = plan.results[0]
    assert (first.action, first.fields) == ("update", ["residence_address"])
    ((column, message),) = first.kept
    assert column == "phone" and re.fullmatch(r"保留：走访中已更新，\d{4}-\d\d-\d\d", message)
    lines = [line for line in report.report_lines(plan.results) if line[3] == "联系电话"]
    assert lines and lines[0][4] == message
    do_import(session, world.admin, data, expect=plan.fingerprint)
    home = household(session, "R00001")
    assert (home.phone, home.residence_address) == ("13900139000", "乙街道9号")
    # And the month after: still kept (the base stays the last import's value).
    assert dry_run(session, world.admin, data).results[0].kept


def test_a_field_nobody_changed_takes_the_files_new_value(world, session, rows):
    do_import(session, world.admin, csv_bytes(rows))
    data = csv_bytes([{**rows[0], "phone": "13700137000"}, *rows[1:]])
    plan = dry_run(session, world.admin, data)
    assert plan.results[0].fields == ["phone"] and not plan.results[0].kept
    do_import(session, world.admin, data)
    assert household(session, "R00001").phone == "13700137000"


def test_the_import_writes_the_approved_plan_or_refuses(world, session, rows):
    """The plan's fingerprint: a change since the dry run refuses the whole import."""
    do_import(session, world.admin, csv_bytes(rows))
    data = csv_bytes([{**rows[0], "phone": "13700137000"}, *rows[1:]])
    approved = dry_run(session, world.admin, data).fingerprint
    assert approved == dry_run(session, world.admin, data).fingerprint  # stable
    home = household(session, "R00002")
    with unit_of_work(session):
        home.residence_address = "控制台改的地址"  # a supervisor's edit meanwhile
    with pytest.raises(PlanChanged) as refused:
        do_import(session, world.admin, data, expect=approved)
    assert "方案指纹" in refused.value.errors["fingerprint"][0]
    assert household(session, "R00001").phone == "13800138000"  # nothing written
    again = dry_run(session, world.admin, data)
    assert again.fingerprint != approved and again.results[1].kept
    assert do_import(session, world.admin, data, expect=again.fingerprint).written


def test_an_import_cannot_move_a_household_out_of_its_advisors_streets(world, session, rows):
    do_import(session, world.admin, csv_bytes(rows))
    _assign(session, household(session, "R00001"), world.adv_a)
    moved = {**rows[0], "registration_street": "乙街道", "registration_community": "B1社区"}
    plan = dry_run(session, world.admin, csv_bytes([moved, *rows[1:]]))
    ((column, message),) = plan.results[0].errors
    assert column == "registration_street" and "负责社工不在该户的户籍或居住街道" in message
    # Living in street A still keeps the advisor in one of its streets: accepted.
    separated = {**moved, "residence_street": "甲街道", "residence_community": "A1社区"}
    assert not dry_run(session, world.admin, csv_bytes([separated, *rows[1:]])).refused
    # Unassigned households may move.
    other = {**rows[1], "registration_street": "乙街道", "registration_community": "B1社区"}
    assert not dry_run(session, world.admin, csv_bytes([rows[0], other, rows[2]])).refused


def _with_last_visit(rows: list[dict]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([*ZH, "最近走访日期"])
    for values in rows:
        writer.writerow([values.get(k, "") for k in (*EN, "last_visit_on")])
    return out.getvalue().encode("utf-8-sig")


def test_an_imported_households_cycle_starts_at_its_last_visit_or_the_import(world, session):
    """Case 9: households enrolled long ago are not overdue for every period since."""
    old = {"enrolled_on": "2024-06-01", "hardship_level": "一般"}
    data = _with_last_visit(
        [row(1, last_visit_on="2026-05-12", **old), row(2, **old), row(3, **old)]
    )
    do_import(session, world.admin, data)
    visited, fresh = household(session, "R00001"), household(session, "R00002")
    assert fresh.visit_cycle == "quarterly"
    assert (visited.cycle_since, fresh.cycle_since) == (date(2026, 7, 1), date(2026, 11, 23))
    page = due_list(
        session, world.admin, DueQuery(on=NOW.date()), tz=DEFAULT_TZ, page=1, page_size=10
    )
    states = {
        i.household.external_id: (i.status.state, i.status.missed_periods) for i in page.items
    }
    # Visited in Q2 per the file: only Q3 missed. Imported now: due this quarter.
    assert states["R00001"] == ("overdue", 1)
    assert states["R00002"] == ("due", 0)


def test_a_last_visit_in_the_future_is_refused(world, session):
    data = _with_last_visit([row(1, last_visit_on="2027-01-01")])
    ((column, message),) = dry_run(session, world.admin, data).results[0].errors
    assert (column, message) == ("last_visit_on", "不得晚于今天。")


def test_the_import_sets_its_fields_versions_and_keeps_the_others(world, session, rows):
    """Case 6 (both databases): field_versions is merged per key, renumbered at the end."""
    do_import(session, world.admin, csv_bytes(rows))
    home = household(session, "R00001")
    with unit_of_work(session):
        home.notes = "控制台：独居"
    notes_version = household(session, "R00001").field_versions["notes"]
    do_import(session, world.admin, csv_bytes([{**rows[0], "phone": "13700137000"}, *rows[1:]]))
    home = household(session, "R00001")
    assert home.field_versions == {"notes": notes_version, "phone": home.version}
    assert home.version > notes_version and home.persons[0].version > 0


def test_a_reimport_that_moves_a_household_tells_both_streets(world, session, rows):
    """A residence change is a move (人户分离): one orange warning to the registration
    street and the new residence street; importing the same file again raises no other."""
    do_import(session, world.admin, csv_bytes(rows))
    moved = {**rows[0], "residence_street": "乙街道", "residence_community": "B1社区"}
    data = csv_bytes([moved, *rows[1:]])
    do_import(session, world.admin, data)
    session.expire_all()
    [warning] = session.scalars(select(Warning)).all()
    home = household(session, "R00001")
    assert (warning.household_id, warning.kind, warning.level) == (
        home.id,
        "address_mismatch",
        "orange",
    )
    assert (warning.street_id, warning.also_street_id) == (world.street_a.id, world.street_b.id)
    assert warning.version > 0
    do_import(session, world.admin, data)  # nothing changes: no second warning
    assert len(session.scalars(select(Warning)).all()) == 1
