"""The warning list's filters, the dashboard's counts, and the daily overdue scan."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import Warning
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work
from server.services.warnings import lifecycle, queue, scan
from tests.factories import NOW, visit_data, visit_row
from tests.server.warnings.conftest import warnings_of


@pytest.fixture
def raised(tablet, home, session, world):
    """A red, an orange and a yellow warning of street A; the yellow one taken."""
    data = visit_data(home, urgent=True, findings=["moved", "job_loss"])
    tablet.push([tablet.mutation("visit", uuid.uuid4(), data)])
    found = {w.kind: w for w in warnings_of(session, home)}
    with unit_of_work(session):
        lifecycle.take(session, actor=world.sup_a, warning_id=found["job_loss"].id, now=NOW)
    return found


def listed(session, actor, now=None, **filters) -> list[str]:
    query = queue.WarningQuery(**filters)
    page = queue.list_warnings(session, actor, query, now=now or NOW, page=1, page_size=50)
    return [w.kind for w, _ in page.items]


def test_the_list_is_most_urgent_first(raised, session, world):
    assert listed(session, world.sup_a) == ["urgent", "address_mismatch", "job_loss"]


@pytest.mark.parametrize(
    ("filters", "kinds"),
    [
        ({"level": "red"}, ["urgent"]),
        ({"level": "blue"}, []),
        ({"kind": "address_mismatch"}, ["address_mismatch"]),
        ({"status": "verifying"}, ["job_loss"]),
        ({"status": "open", "level": "orange"}, ["address_mismatch"]),
    ],
)
def test_filters(raised, session, world, filters, kinds):
    assert listed(session, world.sup_a, **filters) == kinds


def test_overdue_for_action(raised, session, world):
    now = datetime.now(UTC)
    assert listed(session, world.sup_a, now=now, overdue=True) == []
    later = now + timedelta(days=2)  # past the urgent warning's day, within the others'
    assert listed(session, world.sup_a, now=later, overdue=True) == ["urgent"]
    assert listed(session, world.sup_a, now=now + timedelta(days=60), overdue=True) == [
        "urgent",
        "address_mismatch",
        "job_loss",
    ]


@pytest.mark.parametrize("field", ["level", "kind", "status"])
def test_an_unknown_filter_is_refused_on_its_field(session, world, field):
    with pytest.raises(Invalid) as refused:
        listed(session, world.sup_a, **{field: "purple"})
    assert list(refused.value.errors) == [field]


def test_dashboard_counts(raised, session, world):
    with unit_of_work(session):
        lifecycle.dispose(
            session,
            actor=world.sup_a,
            warning_id=raised["job_loss"].id,
            disposal="referred",
            referred_to="区就业服务中心",
            now=NOW,
        )
    counts = queue.counts(session, world.sup_a, datetime.now(UTC))
    assert counts == {"raised": 3, "verifying": 0, "included": 0, "referred": 1, "overdue": 0}
    assert queue.counts(session, world.sup_b, NOW)["raised"] == 0


# ------------------------------------------------------------------ the overdue scan

TODAY = date(2026, 11, 23)


def _scan(session, today=TODAY) -> int:
    with unit_of_work(session):
        return scan.scan_overdue(session, today=today, tz="Asia/Shanghai", now=NOW)


@pytest.fixture
def monthly(world):
    """A monthly household enrolled long ago."""
    return world.household("A1", advisor=world.adv_a, hardship_level="high")


def _visited(session, household, on: date) -> None:
    with unit_of_work(session):
        session.add(visit_row(household, datetime(on.year, on.month, on.day, 4, tzinfo=UTC)))


def test_one_missed_period_is_not_enough(monthly, session):
    _visited(session, monthly, date(2026, 9, 15))  # October missed; November is current
    assert _scan(session) == 0


def test_two_missed_periods_raise_one_blue_warning_once(monthly, session, world):
    _visited(session, monthly, date(2026, 8, 15))  # September and October missed
    assert _scan(session) == 1
    [w] = warnings_of(session, monthly)
    assert (w.kind, w.level, w.source_key) == ("overdue", "blue", "overdue:2026-09-01")
    assert w.street_id == world.street_a.id
    assert _scan(session) == 0  # the next day's scan finds it raised
    assert _scan(session, date(2026, 12, 2)) == 0  # still the same stretch
    assert session.scalar(select(func.count()).select_from(Warning)) == 1


def test_the_cli_runs_the_scan(monthly, session, runner, monkeypatch):
    _visited(session, monthly, date(2026, 8, 15))
    result = runner.invoke(args=["warnings", "scan"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert [w.kind for w in warnings_of(session, monthly)] == ["overdue"]
