"""The rule table: each rule raises its warning when a record is pushed, once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.models import AuditEvent
from server.services.core.transaction import unit_of_work
from server.services.warnings import lifecycle, rules
from tests.factories import NOW, interview_data, nth_instant, visit_data
from tests.server.warnings.conftest import returned, warnings_of

# (visit fields, expected (kind, level)) — each rule, and the boundaries beside it.
VISIT_CASES = [
    ({"outcome": "deceased"}, [("deceased", "red")]),
    ({"findings": ["detention"]}, [("detention", "red")]),
    ({"urgent": True}, [("urgent", "red")]),
    ({"outcome": "moved"}, [("address_mismatch", "orange")]),
    ({"findings": ["moved"]}, [("address_mismatch", "orange")]),
    ({"outcome": "moved", "findings": ["moved"]}, [("address_mismatch", "orange")]),
    ({"situation": "maybe_eligible"}, [("maybe_eligible", "yellow")]),
    ({"situation": "changed"}, [("changed", "yellow")]),
    ({"situation": "hardship_not_eligible"}, [("hardship_not_eligible", "yellow")]),
    ({"situation": "no_support"}, [("no_support", "yellow")]),
    ({"findings": ["serious_illness"]}, [("serious_illness", "yellow")]),
    ({"findings": ["large_medical_expense"]}, [("large_medical_expense", "yellow")]),
    ({"findings": ["job_loss"]}, [("job_loss", "yellow")]),
    ({"findings": ["income_drop"]}, [("income_drop", "yellow")]),
    ({"findings": ["housing_hazard"]}, [("housing_hazard", "yellow")]),
    ({"findings": ["disaster"]}, [("disaster", "yellow")]),
    (
        {"findings": ["job_loss", "income_drop"], "urgent": True},
        [("income_drop", "yellow"), ("job_loss", "yellow"), ("urgent", "red")],
    ),
    # Boundaries: nothing raises these.
    ({}, []),
    ({"situation": "none"}, []),
    ({"urgent": False}, []),
    ({"outcome": "not_home"}, []),
    ({"outcome": "refused"}, []),
    ({"findings": ["disability", "death_in_family", "member_change", "other"]}, []),
]


@pytest.mark.parametrize(("fields", "expected"), VISIT_CASES)
def test_each_visit_rule(tablet, home, session, fields, expected):
    [result] = tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home, **fields))])
    assert result["status"] == "applied"
    found = warnings_of(session, home)
    assert sorted((w.kind, w.level) for w in found) == sorted(expected)
    for w in found:
        assert w.source == "visit_rule" and w.status == "open"
        assert w.due_by - w.raised_at == rules.RULES[w.kind].due_in


def test_red_warnings_are_due_in_three_days_and_urgent_in_one():
    assert rules.RULES["deceased"].due_in == rules.RULES["detention"].due_in == timedelta(days=3)
    assert rules.RULES["urgent"].due_in == timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "kinds"),
    [
        ({"findings": ["detention", "moved"]}, ["address_mismatch", "detention"]),
        ({"findings": ["serious_illness"]}, ["serious_illness"]),
        ({"findings": ["other"]}, []),
    ],
)
def test_interview_findings_raise_too(tablet, home, session, fields, kinds):
    tablet.push([tablet.mutation("interview", uuid.uuid4(), interview_data(home, **fields))])
    assert [w.kind for w in warnings_of(session, home)] == kinds


def test_routing_follows_the_rule(tablet, separated, session, world):
    data = visit_data(separated, outcome="moved", urgent=True, findings=["detention"])
    tablet.push([tablet.mutation("visit", uuid.uuid4(), data)])
    streets = {w.kind: (w.street_id, w.also_street_id) for w in warnings_of(session, separated)}
    a, b = world.street_a.id, world.street_b.id
    assert streets == {
        "detention": (a, None),  # the registration street stops payments
        "urgent": (b, None),  # aid where the household lives now
        "address_mismatch": (a, b),  # both hear of a move
    }


def test_a_move_of_a_household_in_one_street_tells_that_street_once(tablet, home, session):
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home, outcome="moved"))])
    [w] = warnings_of(session, home)
    assert w.street_id == home.registration_street_id and w.also_street_id is None


def _attempt(tablet, home, n: int, outcome: str) -> uuid.UUID:
    vid = uuid.uuid4()
    data = visit_data(home, when=nth_instant(n), outcome=outcome)
    tablet.push([tablet.mutation("visit", vid, data)])
    return vid


def test_three_unreached_attempts_in_a_row_raise_one_blue_warning(tablet, home, session):
    first = _attempt(tablet, home, 1, "not_home")
    _attempt(tablet, home, 2, "unreachable")
    assert warnings_of(session, home) == []  # two are not three
    _attempt(tablet, home, 3, "not_home")
    [w] = warnings_of(session, home)
    assert (w.kind, w.level, w.source_key) == ("not_reached", "blue", f"visit:{first}")
    _attempt(tablet, home, 4, "not_home")  # a fourth belongs to the same run
    assert len(warnings_of(session, home)) == 1


def test_a_visit_between_breaks_the_run(tablet, home, session):
    _attempt(tablet, home, 1, "not_home")
    _attempt(tablet, home, 2, "not_home")
    _attempt(tablet, home, 3, "completed")
    _attempt(tablet, home, 4, "not_home")
    assert warnings_of(session, home) == []


def test_three_in_one_push_raise_one(tablet, home, session):
    mutations = [
        tablet.mutation("visit", uuid.uuid4(), visit_data(home, when=nth_instant(n), outcome=o))
        for n, o in enumerate(("not_home", "unreachable", "not_home"))
    ]
    tablet.push(mutations)
    assert [w.kind for w in warnings_of(session, home)] == ["not_reached"]


def test_a_replay_raises_nothing_more(tablet, home, session):
    mutation = tablet.mutation("visit", uuid.uuid4(), visit_data(home, outcome="deceased"))
    tablet.push([mutation])
    tablet.push([mutation])
    assert len(warnings_of(session, home)) == 1


def test_resubmission_reevaluates_without_duplicates(tablet, home, session, world):
    vid = uuid.uuid4()
    data = visit_data(home, findings=["job_loss"], situation="changed")
    tablet.push([tablet.mutation("visit", vid, data)])
    version = returned(session, world, "visit", vid)
    # Resubmitted unchanged: the same warnings, no second of either.
    again = {**data, "status": "resubmitted"}
    [r] = tablet.push([tablet.mutation("visit", vid, again, base_version=version)])
    assert r["status"] == "applied"
    assert sorted(w.kind for w in warnings_of(session, home)) == ["changed", "job_loss"]
    # Corrected: the job loss was a mistake, the income dropped instead.
    version = returned(session, world, "visit", vid)
    fixed = {**again, "findings": ["income_drop"]}
    tablet.push([tablet.mutation("visit", vid, fixed, base_version=version)])
    state = {w.kind: w.status for w in warnings_of(session, home)}
    assert state == {"changed": "open", "income_drop": "open", "job_loss": "closed"}
    # And back again: the withdrawn warning is reopened, not raised a second time.
    version = returned(session, world, "visit", vid)
    tablet.push([tablet.mutation("visit", vid, again, base_version=version)])
    state = {w.kind: w.status for w in warnings_of(session, home)}
    assert state == {"changed": "open", "income_drop": "closed", "job_loss": "open"}
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "warning").order_by(AuditEvent.id)
    ).all()
    assert actions.count("warning_raise") == 3
    assert actions.count("warning_withdraw") == 2 and actions.count("warning_reopen") == 1


def test_a_warning_in_hand_is_not_withdrawn(tablet, home, session, world):
    vid = uuid.uuid4()
    data = visit_data(home, findings=["job_loss"])
    tablet.push([tablet.mutation("visit", vid, data)])
    [w] = warnings_of(session, home)
    with unit_of_work(session):
        lifecycle.take(session, actor=world.sup_a, warning_id=w.id, now=NOW)
    version = returned(session, world, "visit", vid)
    fixed = {**data, "status": "resubmitted", "findings": []}
    tablet.push([tablet.mutation("visit", vid, fixed, base_version=version)])
    [w] = warnings_of(session, home)
    assert w.status == "verifying"


def test_every_warning_is_versioned_for_the_tablets(tablet, home, session):
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home, outcome="deceased"))])
    [w] = warnings_of(session, home)
    assert w.version > 0
