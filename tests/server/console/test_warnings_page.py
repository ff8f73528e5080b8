"""The 预警处置 page: in Chinese, filtered, each step from the page, bad input beside its field."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from server.models import Warning
from tests.factories import visit_data
from tests.server.console.form_errors import field_errors
from tests.server.console.test_pages_in_chinese import _foreign, _visible_words
from tests.server.sync_helpers import Tablet


@pytest.fixture
def raised(world, client, session):
    """Street A's warnings: red (urgent, sent to B where the split household lives), orange
    (a move: both streets), yellow (job loss)."""
    split = world.household("A1", residence="B1", advisor=world.adv_a)
    tablet = Tablet(client, world.adv_a)
    data = visit_data(split, urgent=True, outcome="moved", findings=["job_loss"])
    tablet.push([tablet.mutation("visit", uuid.uuid4(), data)])
    session.expire_all()
    return {w.kind: w for w in session.scalars(select(Warning))}


def _page(console, path: str, status: int = 200) -> str:
    response = console.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_data(as_text=True)


def _kinds(page: str) -> list[str]:
    rows = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return re.findall(r'href="/console/warnings/[0-9a-f-]{36}">([^<]+)</a>', rows)


def test_the_page_is_in_chinese_with_no_english_word(raised, world, console):
    console.as_user(world.sup_a)
    page = _page(console, "/console/warnings")
    assert "预警处置" in page
    assert _kinds(page) == ["户籍地与居住地信息不符", "失业"]  # the urgent one went to B
    assert _foreign(_visible_words(page)) == set()
    detail = _page(console, f"/console/warnings/{raised['address_mismatch'].id}")
    assert "甲街道、乙街道" in detail and "接收核实" in detail
    assert _foreign(_visible_words(detail)) == set()


def test_the_dashboard_counts_warnings(raised, world, console):
    console.as_user(world.sup_b)
    page = _page(console, "/console/")
    assert re.search(r'id="warnings-raised">2<', page)  # urgent and the move
    assert re.search(r'id="warnings-verifying">0<', page)


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("level=orange", ["户籍地与居住地信息不符"]),
        ("kind=job_loss", ["失业"]),
        ("status=verifying", []),
        ("overdue=y", []),
        ("level=red", []),
    ],
)
def test_filters(raised, world, console, query, kinds):
    console.as_user(world.sup_a)
    assert _kinds(_page(console, f"/console/warnings?{query}")) == kinds


@pytest.mark.parametrize("field", ["level", "kind", "status"])
def test_an_unknown_filter_value_is_shown_beside_its_field(raised, world, console, field):
    console.as_user(world.sup_a)
    page = _page(console, f"/console/warnings?{field}=purple", status=422)
    [message] = field_errors(page, field)
    assert not re.search(r"[A-Za-z]{3,}", message), message


def test_take_dispose_close_from_the_page(raised, world, console, session):
    console.as_user(world.sup_a)
    w = raised["job_loss"]
    base = f"/console/warnings/{w.id}"
    assert console.post(f"{base}/take").status_code == 302
    assert "核实中" in _page(console, base)
    response = console.post(f"{base}/dispose", {"disposal": "referred", "referred_to": "区人社局"})
    assert response.status_code == 302
    assert "区人社局" in _page(console, base)
    assert console.post(f"{base}/close").status_code == 302
    page = _page(console, base)
    assert "已办结" in page and 'id="close-warning"' not in page
    session.expire_all()
    assert session.get(Warning, w.id).status == "closed"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"disposal": ""}, "disposal", None),
        ({"disposal": "referred"}, "referred_to", "转介"),
        ({"disposal": "no_action"}, "disposal_reason", "原因"),
        ({"disposal": "nonsense"}, "disposal", "处置方式"),
        ({"disposal": "monitor", "referred_to": "x" * 201}, "referred_to", None),
    ],
)
def test_a_bad_disposal_is_shown_beside_its_field(
    raised, world, console, session, data, field, words
):
    console.as_user(world.sup_a)
    w = raised["job_loss"]
    console.post(f"/console/warnings/{w.id}/take")
    response = console.post(f"/console/warnings/{w.id}/dispose", data)
    assert response.status_code == 422
    messages = field_errors(response.get_data(as_text=True), field)
    assert messages, response.get_data(as_text=True)[:2000]
    assert not re.search(r"[A-Za-z]{3,}", " ".join(messages)), messages
    if words:
        assert words in " ".join(messages)
    session.expire_all()
    assert session.get(Warning, w.id).status == "verifying"


def test_a_step_already_taken_is_a_notice_not_an_error(raised, world, console):
    console.as_user(world.sup_a)
    w = raised["job_loss"]
    console.post(f"/console/warnings/{w.id}/take")
    response = console.post(f"/console/warnings/{w.id}/take")
    assert response.status_code == 302
    assert "最新状态" in _page(console, f"/console/warnings/{w.id}")


def test_other_streets_get_404(raised, world, console):
    console.as_user(world.sup_b)
    w = raised["job_loss"]  # street A's only
    assert console.get(f"/console/warnings/{w.id}").status_code == 404
    for step in ("take", "close"):
        assert console.post(f"/console/warnings/{w.id}/{step}").status_code == 404
    response = console.post(f"/console/warnings/{w.id}/dispose", {"disposal": "monitor"})
    assert response.status_code == 404
    # The move reached both streets: B may open it.
    assert console.get(f"/console/warnings/{raised['address_mismatch'].id}").status_code == 200


def test_the_audit_log_names_each_step_in_chinese(raised, world, console):
    supervisor = console.as_user(world.sup_a)
    w = raised["job_loss"]
    supervisor.post(f"/console/warnings/{w.id}/take")
    supervisor.post(f"/console/warnings/{w.id}/dispose", {"disposal": "monitor"})
    console.as_user(world.admin)
    page = _page(console, "/console/admin/audit?entity=warning")
    for words in ("生成预警", "接收核实", "登记处置结果", "持续关注", "失业", "黄色预警"):
        assert words in page, words
    assert _foreign(_visible_words(page)) == set()
