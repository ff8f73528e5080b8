"""The configured zone (TANFANG_TIMEZONE) decides every local date, enrolment and edits too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server import context
from server.models import Household
from sync.schedule import DEFAULT_TZ

# 00:30 on 1 December in Kiritimati (UTC+14); still 30 November (18:30) in the default zone.
AFTER_MIDNIGHT = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
ZONE = "Pacific/Kiritimati"


@pytest.fixture
def kiritimati(app, monkeypatch):
    """The app reckons in Kiritimati, and its clock stands just after local midnight."""
    assert DEFAULT_TZ != ZONE
    app.config["TIMEZONE"] = ZONE
    monkeypatch.setattr(context, "now", lambda: AFTER_MIDNIGHT)
    return app


def test_today_is_the_configured_zones_date(kiritimati):
    assert context.today() == date(2026, 12, 1)


def test_enrolment_after_local_midnight_sees_an_override_expired_yesterday(
    kiritimati, world, client, auth, session
):
    person = world.person_data()
    person["birth_date"] = person["birth_date"].isoformat()
    data = world.household_data("A1")
    data.update(
        enrolled_on="2026-12-01",
        cycle_override={"cycle": "monthly", "reason": "临时加密走访", "expires_on": "2026-11-30"},
        persons=[person],
    )
    response = client.post("/api/v1/households", json=data, headers=auth.headers(world.sup_a))
    assert response.status_code == 201, response.get_json()
    # Locally the override ran out yesterday, so the policy's cycle for "medium" holds.
    assert response.get_json()["visit_cycle"] == "quarterly"
    due = client.get("/api/v1/schedule/due", headers=auth.headers(world.sup_a)).get_json()
    assert [(i["state"], i["period_start"]) for i in due["items"]] == [("new", "2026-10-01")]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"hardship_level": "high"}),
        ("/persons/{person}", {"health": "serious_illness", "labour_capacity": "none"}),
    ],
    ids=["household", "member"],
)
def test_an_edit_after_local_midnight_starts_the_new_cycle_today(
    kiritimati, world, client, auth, session, path, body
):
    home = world.household("A1")
    session.commit()
    headers = auth.headers(world.sup_a)
    url = f"/api/v1/households/{home.id}" + path.format(person=home.persons[0].id)
    response = client.patch(url, json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["visit_cycle"] == "monthly"
    session.expire_all()
    assert session.get(Household, home.id).cycle_since == date(2026, 12, 1)
    # November, unvisited, is not held against the new monthly cycle: December has just begun.
    due = client.get("/api/v1/schedule/due", headers=headers).get_json()["items"]
    assert [(i["state"], i["missed_periods"], i["days_left"]) for i in due] == [("due", 0, 30)]
