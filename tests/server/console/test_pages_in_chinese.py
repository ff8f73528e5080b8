"""Every word a console page shows in 简体中文 is Chinese: the pages rendered with demo data,
their visible text searched for ASCII words that are not allowed tokens (file formats, the
language switch, usernames, numbers people type). Also the audit log's values and records."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.console.admin.common import message
from server.demo import load_demo
from server.models import Area, User, Visit
from server.services.core import audit
from server.services.core.transaction import unit_of_work
from sync.schedule import DEFAULT_TZ

PASSWORD = "demo-password"
# Tokens a Chinese page may show: file formats, the language switch, what the demo's users
# and tablets are called (typed by people, shown as typed).
ALLOWED = {"CSV", "XLSX", "PDF", "English", "Ctrl", "ID", "Excel", "WPS", "GBK", "UTF-8", "BOM"}
ALLOWED |= {"MB", "KB", "YYYY-MM-DD"}
ALLOWED |= {"high", "medium", "low"}  # the roster help: codes a file may hold instead
TYPED = re.compile(r"^(admin|supervisor\d*|advisor\d*|tablet|demo|HH\d+|[A-Z]{1,3}\d+)$")
PAGES = [
    "/console/",
    "/console/review",
    "/console/due",
    "/console/caseloads",
    "/console/caseloads/handovers",
    "/console/leads",
    "/console/warnings",
    "/console/roster",
    "/console/password",
    "/console/admin/users",
    "/console/admin/devices",
    "/console/admin/areas",
    "/console/admin/policy",
    "/console/admin/audit",
    "/console/admin/jobs",
]


@pytest.fixture
def demo(session):
    with unit_of_work(session):
        load_demo(session, households=24, password=PASSWORD, tz=DEFAULT_TZ)
    return session


def _visible_words(page: str) -> list[str]:
    """ASCII words of the page's visible text (not its tags, scripts, or attributes)."""
    body = page[page.index("<body") :]
    # <code> shows tokens a file may hold as they are (a roster's English column keys).
    body = re.sub(r"<(script|style|code)\b.*?</\1>", " ", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.findall(r"[A-Za-z][A-Za-z_.\-]*[A-Za-z0-9]|[A-Za-z]{2,}", text)


def _foreign(words: list[str]) -> set[str]:
    return {w for w in words if w not in ALLOWED and not TYPED.match(w)}


@pytest.mark.parametrize("username", ["admin", "supervisor1"])
def test_pages_with_demo_data_show_no_english_words(demo, console, username):
    user = demo.scalar(select(User).where(User.username == username))
    console.sign_in(user, PASSWORD)
    console.csrf("/console/")
    # A household file and a record the user may open: the first ones their lists link to.
    due = console.get("/console/due").get_data(as_text=True)
    queue = console.get("/console/review").get_data(as_text=True)
    extra = [re.search(r'href="(/console/households/[0-9a-f-]{36})"', due).group(1)]
    extra.append(re.search(r'href="(/console/review/(?:visit|interview)/[0-9a-f-]{36})"', queue)[1])
    found = {}
    for path in PAGES + extra:
        response = console.get(path)
        if response.status_code == 403:  # an admin page, for a supervisor
            continue
        assert response.status_code == 200, path
        foreign = _foreign(_visible_words(response.get_data(as_text=True)))
        if foreign:
            found[path] = sorted(foreign)
    assert not found, {k: v[:60] for k, v in found.items()}


def test_the_audit_log_names_records_and_labels_codes(world, session, console):
    home = world.household("A1", advisor=world.adv_a)
    visit = Visit(
        id=uuid.uuid4(),
        household_id=home.id,
        advisor_id=world.adv_a.id,
        device_id="t",
        visited_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        outcome="completed",
        status="submitted",
    )
    session.add(visit)
    session.commit()
    at = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    previous = world.user("advisor", world.street_a)  # whose caseload moved
    with unit_of_work(session):
        for entity, entity_id, diff in (
            ("household", home.id, {"visit_cycle": ["monthly", "half_yearly"]}),
            ("household", home.id, {"categories": [["dibao"], ["dibao_edge"]]}),
            ("household", home.id, {"head.health": ["healthy", "chronic"]}),
            ("lead", 1, {"decided_at": [None, "2026-11-21T02:00:00+00:00"]}),
            ("visit", visit.id, {"status": ["submitted", "returned"]}),
            ("area", world.community["A1"].id, {"name": ["旧名", "A1社区"]}),
            ("interview", uuid.uuid4(), {"source": [None, "demo"]}),
            (
                "caseload",
                uuid.uuid4(),
                {
                    "kind": [None, "advisor"],
                    "source": [None, str(previous.id)],
                    "households": [None, [str(home.id)]],
                    "to_advisor_id": [None, world.adv_a.id],
                    "street_ids": [None, [world.street_a.id]],
                },
            ),
        ):
            audit.record(
                session,
                actor=world.sup_a,
                action="update",
                entity=entity,
                entity_id=entity_id,
                now=at,
                diff=diff,
            )
    console.as_user(world.admin)
    page = console.get("/console/admin/audit?since=2026-11-21").get_data(as_text=True)
    for raw in ("half_yearly", "dibao_edge", "decided_at", "head.health", str(visit.id)):
        assert raw not in re.sub(r'(href|title)="[^"]*"', "", page), raw
    assert "每月 → 每半年" in page and "低保边缘" in page
    assert "户主健康状况" in page and "处理时间" in page
    assert f'href="/console/review/visit/{visit.id}"' in page
    assert f"入户走访 · {home.head_name} · 2026-11-20" in page
    assert f'href="/console/households/{home.id}"' in page
    area = session.get(Area, world.community["A1"].id)
    assert f'href="/console/admin/areas/{area.id}"' in page
    assert "北京时间" in page and "Asia/Shanghai" not in page
    assert f"接手的救助顾问</strong>: — → {world.adv_a.display_name}" in page
    assert "— → 甲街道" in page and "— → 1 户" in page
    assert f"来源</strong>: — → {previous.display_name}" in page
    assert "— → 演示数据" in page and "— → demo" not in page


def test_schema_messages_are_said_in_chinese(app):
    with app.test_request_context("/console/"):
        assert message("Length must be between 1 and 200.") == "长度须为 1 至 200 个字符。"
        assert message("Not a valid integer.") == "不是整数。"
        assert message("Must be greater than or equal to 1 and less than or equal to 12.") == (
            "须在 1 至 12 之间。"
        )
