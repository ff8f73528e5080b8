"""Due list, summary, policy and household edits through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from server.models import AuditEvent
from sync.policy import DEFAULT_POLICY, dump_policy
from tests.factories import visit_row

ON = "2026-11-23"


@pytest.fixture
def street(world, session):
    """Households of street A in every state on 2026-11-23 (quarterly unless said)."""
    h = {
        # visited this quarter → done
        "done": world.household("A1", advisor=world.adv_a),
        # last visited in Q2 → missed Q3 → overdue 1
        "overdue1": world.household("A1", advisor=world.adv_a),
        # never visited since 2025 → overdue many
        "overdue5": world.household("A2", advisor=world.adv_a),
        # visited last quarter, not yet this one → due, 38 days left
        "due": world.household("A2", advisor=world.adv_b),
        # enrolled this quarter → new
        "new": world.household("A1", advisor=world.adv_b, enrolled_on=date(2026, 10, 5)),
    }
    session.add_all(
        [
            visit_row(h["done"], datetime(2026, 10, 20, 3, tzinfo=UTC)),
            visit_row(h["overdue1"], datetime(2026, 5, 20, 3, tzinfo=UTC)),
            visit_row(h["due"], datetime(2026, 8, 1, 3, tzinfo=UTC)),
            # Attempts that do not count: a not-home and a draft.
            visit_row(h["due"], datetime(2026, 11, 1, 3, tzinfo=UTC), outcome="not_home"),
            visit_row(h["overdue1"], datetime(2026, 11, 2, 3, tzinfo=UTC), status="draft"),
        ]
    )
    session.commit()
    return h


def _due(client, headers, query=""):
    response = client.get(f"/api/v1/schedule/due?on={ON}{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_due_list_orders_overdue_first_then_fewest_days_left(world, street, client, token_of):
    body = _due(client, token_of(world.sup_a), f"&street={world.street_a.id}")
    order = [i["household_id"] for i in body["items"]]
    by_id = {str(h.id): k for k, h in street.items()}
    names = [by_id[i] for i in order]
    # "due" and "new" both have 38 days left: either order is right between them.
    assert names[:2] == ["overdue5", "overdue1"] and names[4] == "done"
    assert set(names[2:4]) == {"due", "new"}
    first = body["items"][0]
    assert first["state"] == "overdue" and first["missed_periods"] == 7
    assert first["reason"].startswith("已连续 7 个季度未走访")
    due = next(i for i in body["items"] if by_id[i["household_id"]] == "due")
    assert due["days_left"] == 38 and due["last_visit"] == "2026-08-01"
    assert (due["period_start"], due["period_end"]) == ("2026-10-01", "2026-12-31")


def test_state_filter_paging_and_english(world, street, client, token_of):
    headers = token_of(world.admin)
    body = _due(client, headers, "&state=overdue&state=new&page_size=2&lang=en")
    assert body["total"] == 3 and len(body["items"]) == 2
    assert all(i["state"] == "overdue" for i in body["items"])
    assert body["items"][0]["reason"].startswith("Not visited for 7 consecutive quarters")


def test_advisor_sees_only_their_caseload(world, street, client, token_of):
    body = _due(client, token_of(world.adv_b))
    assert {i["household_id"] for i in body["items"]} == {
        str(street["due"].id),
        str(street["new"].id),
    }


def test_summary_counts_per_community_and_completion(world, street, client, token_of):
    response = client.get(
        f"/api/v1/schedule/summary?on={ON}&street={world.street_a.id}",
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["done"], body["due"], body["overdue"], body["new"], body["total"]) == (
        1,
        1,
        2,
        1,
        5,
    )
    assert body["completion_rate"] == 0.2
    a1 = next(c for c in body["communities"] if c["community"] == "A1社区")
    assert (a1["done"], a1["overdue"], a1["new"], a1["total"]) == (1, 1, 1, 3)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?on=2026-02-30", 422, "on"),
        ("?on=yesterday", 422, "on"),
        ("?state=late", 422, "state"),
        ("?lang=fr", 422, "lang"),
        ("?street=999999", 404, "street"),
        ("?bogus=1", 422, "bogus"),
        # An OverflowError (500) in the period arithmetic before the date bounds.
        ("?on=9999-12-31", 422, "on"),
        ("?on=0001-01-01", 422, "on"),
    ],
)
@pytest.mark.parametrize("path", ["due", "summary"])
def test_bad_due_queries(world, client, token_of, query, status, field, path):
    response = client.get(f"/api/v1/schedule/{path}{query}", headers=token_of(world.admin))
    assert response.status_code == status
    errors = response.get_json()["errors"]
    assert field in errors.get("query", errors)


@pytest.mark.parametrize("path", ["due", "summary"])
def test_street_outside_scope_is_403(world, client, token_of, path):
    response = client.get(
        f"/api/v1/schedule/{path}?street={world.street_a.id}", headers=token_of(world.sup_b)
    )
    assert response.status_code == 403
    assert response.get_json()["code"] == 403


def test_policy_defaults_and_admin_edit_recomputes_cycles(world, street, client, token_of, session):
    headers = token_of(world.admin)
    starts = {k: h.cycle_since for k, h in street.items()}
    body = client.get("/api/v1/schedule/policy", headers=headers).get_json()
    assert body["policy"] == dump_policy(DEFAULT_POLICY)
    policy = dump_policy(DEFAULT_POLICY)
    policy["default"]["medium"] = "monthly"
    response = client.put("/api/v1/schedule/policy", json=policy, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["changed_households"] == 5
    session.expire_all()
    assert {h.visit_cycle for h in street.values()} == {"monthly"}
    # A policy change never rewrites history: every cycle start stays where it was.
    assert {k: h.cycle_since for k, h in street.items()} == starts
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.action.in_(["cycle_change", "update"]), AuditEvent.actor_id == world.admin.id
        )
    ).all()
    assert actions.count("cycle_change") == 5 and "update" in actions


def _states(client, headers) -> dict[str, tuple]:
    return {
        i["household_id"]: (i["state"], i["missed_periods"]) for i in _due(client, headers)["items"]
    }


def test_a_policy_changed_and_put_back_leaves_the_due_list_as_it_was(
    world, street, client, token_of, session
):
    """Issue 16 case 9: overdue since November stays overdue after an edit that, in the
    end, changed nothing (saving used to restart every changed household's cycle today)."""
    headers = token_of(world.admin)
    before = _states(client, headers)
    assert before[str(street["overdue1"].id)] == ("overdue", 1)
    policy = dump_policy(DEFAULT_POLICY)
    policy["default"]["medium"] = "half_yearly"
    assert client.put("/api/v1/schedule/policy", json=policy, headers=headers).status_code == 200
    policy = dump_policy(DEFAULT_POLICY)
    assert client.put("/api/v1/schedule/policy", json=policy, headers=headers).status_code == 200
    assert _states(client, headers) == before


BAD_POLICIES = [
    ("unknown cycle", lambda p: p["default"].update(low="yearly"), "default"),
    ("missing level", lambda p: p["default"].pop("low"), "default"),
    (
        "unknown category",
        lambda p: p["rules"].append({"name": "x", "cycle": "monthly", "categories_any": ["rich"]}),
        "rules",
    ),
    (
        "rule without condition",
        lambda p: p["rules"].append({"name": "x", "cycle": "monthly"}),
        "rules",
    ),
    ("unknown key", lambda p: p.update(extra=1), "extra"),
    ("duplicate names", lambda p: p["rules"].append(dict(p["rules"][0])), "rules"),
]


@pytest.mark.parametrize(
    ("case", "mutate", "field"), BAD_POLICIES, ids=[c[0] for c in BAD_POLICIES]
)
def test_malformed_policy_is_refused_and_the_old_one_stays(
    world, client, token_of, case, mutate, field
):
    headers = token_of(world.admin)
    before = client.get("/api/v1/schedule/policy", headers=headers).get_json()
    policy = dump_policy(DEFAULT_POLICY)
    mutate(policy)
    response = client.put("/api/v1/schedule/policy", json=policy, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert client.get("/api/v1/schedule/policy", headers=headers).get_json() == before


def test_only_admins_edit_the_policy(world, client, token_of):
    response = client.put(
        "/api/v1/schedule/policy",
        json=dump_policy(DEFAULT_POLICY),
        headers=token_of(world.sup_district),
    )
    assert response.status_code == 403


def _patch(client, headers, household, body):
    return client.patch(f"/api/v1/households/{household.id}", json=body, headers=headers)


def test_level_change_recomputes_the_cycle_with_audit(world, client, token_of, session):
    household = world.household()
    assert household.visit_cycle == "quarterly"
    response = _patch(client, token_of(world.sup_a), household, {"hardship_level": "high"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["visit_cycle"] == "monthly"
    session.refresh(household)
    assert household.cycle_since is not None
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "cycle_change", AuditEvent.actor_id == world.sup_a.id
        )
    )
    assert event.diff["visit_cycle"] == ["quarterly", "monthly"]
    assert "重点" in event.diff["reason"][1]


def test_override_wins_and_removing_it_restores(world, client, token_of):
    household = world.household()
    headers = token_of(world.sup_a)
    override = {"cycle": "monthly", "reason": "独居老人，近期住院"}
    body = _patch(client, headers, household, {"cycle_override": override}).get_json()
    assert body["visit_cycle"] == "monthly" and body["cycle_override"]["reason"]
    body = _patch(client, headers, household, {"cycle_override": None}).get_json()
    assert body["visit_cycle"] == "quarterly" and body["cycle_override"] is None


def test_member_falling_seriously_ill_makes_the_household_monthly(world, client, token_of):
    household = world.household(hardship_level="low")
    person = household.persons[0]
    response = client.patch(
        f"/api/v1/households/{household.id}/persons/{person.id}",
        json={"health": "serious_illness", "labour_capacity": "none"},
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["visit_cycle"] == "monthly"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cycle_override": {"cycle": "monthly"}}, "cycle_override"),
        ({"cycle_override": {"cycle": "weekly", "reason": "测试原因"}}, "cycle_override"),
        ({"hardship_level": "extreme"}, "hardship_level"),
        ({"visit_cycle": "monthly"}, "visit_cycle"),
        ({"external_id": "X"}, "external_id"),
    ],
)
def test_bad_household_edits_are_refused(world, client, token_of, body, field):
    household = world.household()
    response = _patch(client, token_of(world.sup_a), household, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_household_edits_respect_role_and_scope(world, client, token_of):
    household = world.household("A1", advisor=world.adv_a)
    body = {"hardship_level": "high"}
    assert _patch(client, token_of(world.adv_a), household, body).status_code == 403
    assert _patch(client, token_of(world.sup_b), household, body).status_code == 404
    person = household.persons[0]
    wrong = client.patch(
        f"/api/v1/households/{uuid.uuid4()}/persons/{person.id}",
        json={"health": "healthy"},
        headers=token_of(world.admin),
    )
    assert wrong.status_code == 404


def test_an_override_with_an_expiry_round_trips(world, client, token_of):
    household = world.household()
    override = {"cycle": "monthly", "reason": "出院后三个月内", "expires_on": "2099-02-28"}
    body = _patch(client, token_of(world.sup_a), household, {"cycle_override": override}).get_json()
    assert body["cycle_override"] == override and body["visit_cycle"] == "monthly"
