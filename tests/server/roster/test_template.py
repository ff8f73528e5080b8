"""The shipped template: made from the header map, and it imports with zero refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.models import Area
from server.services import roster
from server.services.core.transaction import unit_of_work
from server.services.roster import report
from server.services.roster.columns import COLUMNS
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW

SHIPPED = Path(__file__).parents[3] / "server/console/static/roster-template.xlsx"


@pytest.fixture
def demo_areas(world, session):
    """The areas the template's example row names (the demo district's)."""
    with unit_of_work(session):
        street = Area(code="440104001", name="北京街道", kind="street", parent=world.district)
        session.add(Area(code="440104001001", name="盐运西社区", kind="community", parent=street))


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_the_template_parses_with_zero_refusals(world, session, demo_areas, fmt):
    table = roster.read_table(report.template(fmt), f"template.{fmt}")
    assert table.columns == [c.key for c in COLUMNS]
    plan = roster.check(session, actor=world.admin, table=table, now=NOW, tz=DEFAULT_TZ)
    assert plan.counts["create"] == 1, plan.refused


def test_the_shipped_template_is_the_generated_one():
    shipped = roster.read_table(SHIPPED.read_bytes(), SHIPPED.name)
    generated = roster.read_table(report.template("xlsx"), "template.xlsx")
    assert (shipped.columns, shipped.rows) == (generated.columns, generated.rows)
