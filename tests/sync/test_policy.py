"""Tests for the visit-cycle policy: defaults, rules, overrides and the JSON schema."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from sync.enums import Category, HardshipLevel, Health, LabourCapacity
from sync.policy import (
    DEFAULT_POLICY,
    HouseholdFacts,
    Member,
    Override,
    Policy,
    Rule,
    cycle_for,
    dump_policy,
    load_policy,
)
from sync.schedule import Cycle

M, Q, H = Cycle.MONTHLY, Cycle.QUARTERLY, Cycle.HALF_YEARLY
TODAY = date(2025, 3, 15)
FREQUENCY = {H: 0, Q: 1, M: 2}


def decide(facts: HouseholdFacts, policy: Policy = DEFAULT_POLICY) -> Cycle:
    return cycle_for(facts, policy, TODAY)[0]


# --- defaults and rules --------------------------------------------------------------------


@pytest.mark.parametrize(("level", "cycle"), [("high", M), ("medium", Q), ("low", H)])
def test_default_by_level(level: str, cycle: Cycle) -> None:
    result, reason = cycle_for(HouseholdFacts(level), DEFAULT_POLICY, TODAY)
    assert result == cycle
    assert HardshipLevel(level).label("zh") in reason and "默认" in reason


@pytest.mark.parametrize(
    ("level", "categories", "members", "cycle"),
    [
        # one member both seriously ill and unable to work -> monthly
        ("low", [], [("serious_illness", "none")], M),
        ("medium", [], [("healthy", "full"), Member("severe_disability", "none")], M),
        # the two conditions met by different members do not match
        ("low", [], [("serious_illness", "full"), ("healthy", "none")], H),
        ("low", [], [("chronic", "none")], H),
        # category rule raises low and medium to quarterly
        ("low", ["tekun"], [], Q),
        ("low", ["dibao", "child_distress"], [], Q),
        ("medium", ["scattered_orphan"], [], Q),
        ("low", ["dibao"], [], H),
        # a rule never lowers: high stays monthly
        ("high", ["tekun"], [], M),
        # the most frequent of several matching rules wins
        ("low", ["tekun"], [("serious_illness", "none")], M),
    ],
)
def test_default_policy_rules(
    level: str, categories: list[str], members: list[Any], cycle: Cycle
) -> None:
    assert decide(HouseholdFacts(level, categories, members)) == cycle


def test_reason_names_the_deciding_rule() -> None:
    facts = HouseholdFacts("low", ["tekun"], [("serious_illness", "none")])
    cycle, zh = cycle_for(facts, DEFAULT_POLICY, TODAY)
    assert zh == "规则“大重病或重度残疾且无劳动能力”：每月走访"
    _, en = cycle_for(facts, DEFAULT_POLICY, TODAY, lang="en")
    assert en == 'Rule "serious illness or severe disability with no labour capacity": monthly'


def test_reason_names_the_default_when_no_rule_raises() -> None:
    facts = HouseholdFacts("high", ["tekun"])
    assert cycle_for(facts, DEFAULT_POLICY, TODAY) == (M, "困难等级“重点”默认每月走访")
    assert cycle_for(facts, DEFAULT_POLICY, TODAY, "en") == (
        M,
        "Default for hardship level high: monthly",
    )


def test_earlier_rule_wins_a_tie_and_levels_any_restricts() -> None:
    policy = Policy(
        default=DEFAULT_POLICY.default,
        rules=(
            Rule("medium dibao", Q, categories_any={"dibao"}, levels_any={"medium"}),
            Rule("dibao", Q, categories_any={"dibao"}),
            Rule("second", Q, categories_any={"dibao"}),
        ),
    )
    assert "“dibao”" in cycle_for(HouseholdFacts("low", ["dibao"]), policy, TODAY)[1]
    assert decide(HouseholdFacts("high", ["dibao"]), policy) == M
    rule = policy.rules[0]
    assert rule.matches(HouseholdFacts("medium", ["dibao"]))
    assert not rule.matches(HouseholdFacts("low", ["dibao"]))


def test_member_condition_with_only_health() -> None:
    policy = Policy(DEFAULT_POLICY.default, (Rule("ill", M, member_health_any={"chronic"}),))
    assert decide(HouseholdFacts("low", members=[("chronic", "full")]), policy) == M
    assert decide(HouseholdFacts("low", members=[]), policy) == H


# --- overrides -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires_on", "applies"),
    [
        (None, True),
        (TODAY, True),  # valid through its expiry day
        (TODAY + timedelta(days=30), True),
        (TODAY - timedelta(days=1), False),  # expired yesterday
    ],
)
def test_override_validity(expires_on: date | None, applies: bool) -> None:
    override = Override(Q, "家属长期陪护，情况稳定", expires_on)
    facts = HouseholdFacts("low", ["tekun"], [("serious_illness", "none")], override)
    cycle, reason = cycle_for(facts, DEFAULT_POLICY, TODAY)
    assert (cycle == Q) is applies
    assert ("家属长期陪护" in reason) is applies


def test_override_can_lower_and_reason_shows_expiry() -> None:
    facts = HouseholdFacts(
        "high", override=Override("half_yearly", "已搬离本市", date(2025, 6, 30))
    )
    assert cycle_for(facts, DEFAULT_POLICY, TODAY) == (
        H,
        "主管调整为每半年走访：已搬离本市（有效期至2025年6月30日）",
    )
    assert cycle_for(facts, DEFAULT_POLICY, TODAY, "en") == (
        H,
        "Supervisor override: half-yearly, 已搬离本市 (until 2025-06-30)",
    )


def test_override_without_expiry_reason() -> None:
    facts = HouseholdFacts("low", override=Override(M, "new illness"))
    assert cycle_for(facts, DEFAULT_POLICY, TODAY, "en") == (
        M,
        "Supervisor override: monthly, new illness",
    )


# --- dataclass validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Rule("empty", M), "no condition"),
        (lambda: Rule(" ", M, categories_any={"tekun"}), "name"),
        (lambda: Rule("r", "weekly", categories_any={"tekun"}), "weekly"),
        (lambda: Rule("r", M, categories_any={"poor"}), "unknown category: poor"),
        (lambda: Rule("r", M, member_labour_any={"some"}), "unknown labour"),
        (lambda: Rule("r", M, categories_any="tekun"), "not the string 'tekun'"),
        (lambda: Policy({"high": M, "medium": Q}), "low"),
        (lambda: Policy({"high": M, "medium": Q, "low": H, "x": M}), "unknown hardship"),
        (lambda: Override(M, "  "), "reason"),
        (lambda: HouseholdFacts("urgent"), "unknown hardship level: urgent"),
        (lambda: HouseholdFacts("low", ["poor"]), "unknown category"),
        (lambda: HouseholdFacts("low", members=[("sick", "none")]), "unknown health"),
    ],
)
def test_invalid_objects(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_objects_are_normalised_and_frozen() -> None:
    rule = Rule("r", "monthly", categories_any=["tekun", "tekun"])
    assert rule == Rule("r", M, categories_any=frozenset({"tekun"}))
    assert rule.cycle is M
    with pytest.raises(AttributeError):
        rule.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_POLICY.default["high"] = H  # type: ignore[index]


# --- serialisation -------------------------------------------------------------------------


def test_round_trip() -> None:
    data = dump_policy(DEFAULT_POLICY)
    assert json.loads(json.dumps(data)) == data
    assert data["default"] == {"high": "monthly", "medium": "quarterly", "low": "half_yearly"}
    assert data["rules"][1]["categories_any"] == ["tekun", "child_distress", "scattered_orphan"]
    assert load_policy(data) == DEFAULT_POLICY


def test_load_minimal_policy() -> None:
    policy = load_policy(
        {"default": {"high": "quarterly", "medium": "quarterly", "low": "monthly"}}
    )
    assert policy.rules == ()
    assert decide(HouseholdFacts("low"), policy) == M


def good() -> dict[str, Any]:
    return copy.deepcopy(dump_policy(DEFAULT_POLICY))


def edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = good()
    change(data)
    return data


def rule(index: int, **fields: Any) -> dict[str, Any]:
    """The default policy with rule ``index`` changed."""
    return edit(lambda d: d["rules"][index].update(fields))


def extra_rule(**fields: Any) -> dict[str, Any]:
    """The default policy with one more rule (index 2)."""
    return edit(lambda d: d["rules"].append(fields))


R0, R1, R2 = ("rules", 0), ("rules", 1), ("rules", 2)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (edit(lambda d: d["default"].pop("low")), ("default", "low")),
        (edit(lambda d: d["default"].update(high="weekly")), ("default", "high")),
        (edit(lambda d: d["default"].update(urgent="monthly")), ("default", "urgent")),
        (edit(lambda d: d.pop("default")), ("default",)),
        (edit(lambda d: d.update(default=["monthly"])), ("default", "_schema")),
        (edit(lambda d: d.update(version=2)), ("version",)),
        (edit(lambda d: d.update(rules={"a": 1})), ("rules",)),
        (rule(0, cycle="weekly"), (*R0, "cycle")),
        (rule(0, cycle=None), (*R0, "cycle")),
        (edit(lambda d: d["rules"][0].pop("cycle")), (*R0, "cycle")),
        (edit(lambda d: d["rules"][0].pop("name")), (*R0, "name")),
        (rule(0, name="  "), (*R0, "name")),
        (rule(1, categories_any=["tekun", "poor"]), (*R1, "categories_any", 1)),
        (rule(1, categories_any="tekun"), (*R1, "categories_any")),
        (rule(0, member_health_any=["sick"]), (*R0, "member_health_any", 0)),
        (rule(0, member_labour_any=["some"]), (*R0, "member_labour_any", 0)),
        (rule(0, levels_any=["urgent"]), (*R0, "levels_any", 0)),
        (rule(0, priority=1), (*R0, "priority")),
        (extra_rule(name="empty", cycle="monthly"), (*R2, "_schema")),
        (extra_rule(name="empty", cycle="monthly", categories_any=[]), (*R2, "_schema")),
        (edit(lambda d: d["rules"].append(dict(d["rules"][0]))), ("rules",)),  # duplicate name
    ],
)
def test_bad_policy_is_rejected_with_field_errors(data: Any, path: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        load_policy(data)
    errors: Any = caught.value.messages
    for key in path:
        assert key in errors, (path, caught.value.messages)
        errors = errors[key]
    assert errors


@pytest.mark.parametrize("data", [None, [], "policy"])
def test_non_object_is_rejected(data: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        load_policy(data)
    assert "_schema" in caught.value.messages


# --- properties ----------------------------------------------------------------------------

members = st.lists(
    st.tuples(st.sampled_from(Health.codes()), st.sampled_from(LabourCapacity.codes())),
    max_size=5,
)
facts = st.builds(
    HouseholdFacts,
    st.sampled_from(HardshipLevel.codes()),
    st.frozensets(st.sampled_from(Category.codes())),
    members,
)


@given(facts, st.sampled_from(Category.codes()), members)
def test_rules_only_raise(household: HouseholdFacts, extra: str, more: list[Any]) -> None:
    cycle = decide(household)
    assert FREQUENCY[cycle] >= FREQUENCY[DEFAULT_POLICY.default[household.hardship_level]]
    # More categories or more members can only match more rules.
    richer = HouseholdFacts(
        household.hardship_level,
        household.categories | {extra},
        [*household.members, *more],
    )
    assert FREQUENCY[decide(richer)] >= FREQUENCY[cycle]


@given(facts)
def test_decision_survives_a_round_trip(household: HouseholdFacts) -> None:
    reloaded = load_policy(json.loads(json.dumps(dump_policy(DEFAULT_POLICY))))
    assert cycle_for(household, reloaded, TODAY) == cycle_for(household, DEFAULT_POLICY, TODAY)
