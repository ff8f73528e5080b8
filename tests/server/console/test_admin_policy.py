"""The schedule-policy editor: the form shows the policy in force; a save goes through
sync.policy and schedule.save_policy (cycles refreshed, the old policy in the trail); a
refusal keeps the previous policy and shows the messages beside the fields."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Household
from server.services.households import schedule
from sync.policy import DEFAULT_POLICY, dump_policy
from tests.server.console.form_errors import field_errors


@pytest.fixture
def admin(world, console):
    return console.as_user(world.admin)


def _form(policy: dict | None = None, extra_rule: dict | None = None) -> dict:
    """The policy as the editor's form posts it (as the page would fill it in)."""
    policy = policy or dump_policy(DEFAULT_POLICY)
    data = dict(policy["default"])
    rules = list(policy["rules"]) + ([extra_rule] if extra_rule else [])
    for i, rule in enumerate(rules):
        data[f"rules-{i}-name"] = rule.get("name", "")
        data[f"rules-{i}-name_en"] = rule.get("name_en", "")
        data[f"rules-{i}-cycle"] = rule.get("cycle", "monthly")
        for key in ("categories_any", "member_health_any", "member_labour_any", "levels_any"):
            if rule.get(key):
                data[f"rules-{i}-{key}"] = rule[key]
        if rule.get("remove"):
            data[f"rules-{i}-remove"] = "y"
    return data


def _post(admin, data: dict):
    # Multi-valued checkboxes: the test client takes a list per key.
    return admin.post("/console/admin/policy", data)


def _save(admin, data: dict):
    """Preview, then confirm the previewed policy (the editor's two steps)."""
    page = _post(admin, data)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    (token,) = re.findall(r'name="confirm" value="([0-9a-f]+)"', page.get_data(as_text=True))
    return _post(admin, {**data, "confirm": token})


def test_the_form_shows_the_policy_in_force(admin):
    page = admin.get("/console/admin/policy").get_data(as_text=True)
    for rule in DEFAULT_POLICY.rules:
        assert rule.name in page
    assert "新增规则" in page  # one empty rule to add


def test_a_save_refreshes_cycles_and_keeps_the_old_policy_in_the_trail(world, admin, session):
    home = world.household("A1", advisor=world.adv_a, hardship_level="medium")
    assert home.visit_cycle == "quarterly"
    policy = dump_policy(DEFAULT_POLICY)
    policy["default"]["medium"] = "monthly"
    new_rule = {"name": "低保边缘每月", "cycle": "monthly", "categories_any": ["dibao_edge"]}
    response = _save(admin, _form(policy, new_rule))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    saved = dump_policy(schedule.get_policy(session))
    assert saved["default"]["medium"] == "monthly"
    assert [r["name"] for r in saved["rules"]][-1] == "低保边缘每月"
    assert session.get(Household, home.id).visit_cycle == "monthly"
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.entity == "schedule_policy"))
    assert event.diff["policy"][0] == dump_policy(DEFAULT_POLICY)  # the old policy
    assert "1户的探访周期随之改变" in admin.get("/console/admin/policy").get_data(as_text=True)


def test_a_rule_can_be_removed(admin, session):
    policy = dump_policy(DEFAULT_POLICY)
    policy["rules"][0]["remove"] = True
    assert _save(admin, _form(policy)).status_code == 302
    session.expire_all()
    assert [r.name for r in schedule.get_policy(session).rules] == [DEFAULT_POLICY.rules[1].name]


BAD = [
    # (what the form changes, the field that shows the message, part of the message)
    ({"rules-1-name": "大重病或重度残疾且无劳动能力"}, None, "有两条规则同名"),
    (
        {"rules-2-name": "无条件的规则", "rules-2-cycle": "monthly"},
        "rules-2",
        "规则至少需要一个条件",
    ),
    (
        {"rules-2-name": " ", "rules-2-cycle": "monthly", "rules-2-categories_any": ["dibao"]},
        "rules-2-name",
        "必填",
    ),
    ({"rules-2-name": "新规则", "rules-2-categories_any": ["dibao"]}, "rules-2-cycle", None),
    ({"rules-0-name": "长" * 201}, "rules-0-name", None),
    ({"high": "weekly"}, "high", None),
    ({"rules-0-categories_any": ["unicorns"]}, "rules-0-categories_any", None),
]


@pytest.mark.parametrize(("change", "field", "text"), BAD)
def test_a_refused_policy_keeps_the_previous_one(world, admin, session, change, field, text):
    home = world.household("A1", advisor=world.adv_a, hardship_level="low")
    data = {**_form(), **change}
    response = _post(admin, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    if field and field.count("-") == 2:
        assert field_errors(page, field), page[:3000]
    elif field and "-" not in field:
        assert field_errors(page, field)
    if text:
        assert text in page
    session.expire_all()
    assert dump_policy(schedule.get_policy(session)) == dump_policy(DEFAULT_POLICY)
    assert session.get(Household, home.id).visit_cycle == "half_yearly"
    assert not list(
        session.scalars(select(AuditEvent).where(AuditEvent.entity == "schedule_policy"))
    )


def test_a_preview_comes_before_the_save_and_says_what_changes(world, admin, session):
    home = world.household("A1", advisor=world.adv_a, hardship_level="medium")
    home.enrolled_on, home.cycle_since = date(2026, 10, 5), date(2026, 10, 5)
    session.commit()
    policy = dump_policy(DEFAULT_POLICY)
    policy["default"]["medium"] = "monthly"
    page = _post(admin, _form(policy))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "保存将带来的变化" in text and "1 户的探访周期改变" in text
    assert "1 户变为逾期" in text  # new this quarter; monthly, October is missed
    session.expire_all()
    assert session.get(Household, home.id).visit_cycle == "quarterly"  # nothing saved yet
    assert dump_policy(schedule.get_policy(session)) == dump_policy(DEFAULT_POLICY)


def test_a_policy_edited_and_put_back_leaves_the_overdue_list_as_it_was(world, admin, session):
    """Case 9: saving a policy keeps every cycle start; overdue stays overdue."""
    home = world.household("A1", advisor=world.adv_a, hardship_level="medium")
    home.enrolled_on, home.cycle_since = date(2026, 1, 5), date(2026, 1, 5)
    session.commit()
    assert home.visit_cycle == "quarterly"
    before = _states(world, session)
    assert before[home.id] == "overdue"
    changed = dump_policy(DEFAULT_POLICY)
    changed["default"]["medium"] = "half_yearly"
    assert _save(admin, _form(changed)).status_code == 302
    assert _save(admin, _form(dump_policy(DEFAULT_POLICY))).status_code == 302
    session.expire_all()
    again = session.get(Household, home.id)
    assert (again.visit_cycle, again.cycle_since) == ("quarterly", date(2026, 1, 5))
    assert _states(world, session) == before


def _states(world, session) -> dict:
    from server.services.households.schedule import DueQuery, due_list

    page = due_list(
        session,
        world.admin,
        DueQuery(on=date(2026, 11, 23)),
        tz="Asia/Shanghai",
        page=1,
        page_size=50,
    )
    return {item.household.id: item.status.state.value for item in page.items}
