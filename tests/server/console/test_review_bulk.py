"""The review queue's bulk approval and a resubmitted record's page, through the test client."""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Household, Visit
from server.services.core.transaction import unit_of_work
from server.services.review import workflow
from tests.factories import NOW, visit_data, visit_row
from tests.server.console.test_permissions import SEES
from tests.server.sync_helpers import Tablet

BULK = "/console/review/approve-selected"


@pytest.fixture
def queue(world, session):
    """Three submitted visits in community A1: two plain, one urgent (急难)."""
    home = world.household("A1", advisor=world.adv_a)
    rows = {
        "plain1": visit_row(home, NOW, status="submitted", advisor_id=world.adv_a.id),
        "plain2": visit_row(home, NOW, status="submitted", advisor_id=world.adv_a.id),
        "urgent": visit_row(home, NOW, status="submitted", urgent=True, situation="changed"),
    }
    with unit_of_work(session):
        session.add_all(rows.values())
    return rows


def _status(session, visit) -> str:
    session.expire_all()
    return session.get(Visit, visit.id).status


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_only_plain_records_get_a_checkbox(world, console, queue):
    page = _text(console.as_user(world.sup_a).get("/console/review"))
    assert f'value="visit:{queue["plain1"].id}"' in page
    assert f'value="visit:{queue["plain2"].id}"' in page
    assert f'value="visit:{queue["urgent"].id}"' not in page
    assert str(queue["urgent"].id) in page  # still listed, to be opened one by one
    assert 'id="approve-selected"' in page and 'name="csrf_token"' in page


def test_the_checked_records_are_approved_as_one_operation(world, console, queue, session):
    c = console.as_user(world.sup_a)
    keys = [f"visit:{queue[k].id}" for k in ("plain1", "plain2")]
    response = c.post(BULK, {"record": keys})
    assert response.status_code == 302 and response.headers["Location"] == "/console/review"
    assert "已审核 2 条记录" in _text(c.get("/console/review"))
    assert {_status(session, queue[k]) for k in ("plain1", "plain2")} == {"approved"}
    assert _status(session, queue["urgent"]) == "submitted"
    [batch] = session.scalars(select(AuditEvent).where(AuditEvent.action == "bulk_approve"))
    assert sorted(batch.diff["records"][1]) == sorted(keys)


def test_a_crafted_post_with_an_urgent_record_approves_none(world, console, queue, session):
    c = console.as_user(world.sup_a)
    keys = [f"visit:{queue['plain1'].id}", f"visit:{queue['urgent'].id}", "visit:bogus"]
    assert c.post(BULK, {"record": keys}).status_code == 302
    page = _text(c.get("/console/review"))
    assert "未审核任何记录" in page
    head = session.get(Household, queue["urgent"].household_id).head_name
    assert f"{head} 的入户走访" in page  # the refusal names the record by its household
    assert "急难情况" in page and "情形研判：家庭情况发生变化" in page
    assert "所选记录中有一条已不在您辖区的待审核队列中" in page and "visit:bogus" not in page
    assert {_status(session, v) for v in queue.values()} == {"submitted"}


@pytest.mark.parametrize("data", [{}, {"record": ""}])
def test_an_empty_selection_says_so(world, console, queue, data):
    c = console.as_user(world.sup_a)
    assert c.post(BULK, data).status_code == 302
    assert "请选择 1 至 100 条记录" in _text(c.get("/console/review"))


def test_without_the_csrf_token_nothing_is_approved(world, console, queue, session):
    c = console.as_user(world.sup_a)
    data = {"record": [f"visit:{queue['plain1'].id}"]}
    assert c.post(BULK, data, csrf=False).status_code == 400
    assert _status(session, queue["plain1"]) == "submitted"


@pytest.fixture
def places(world, session):
    """A 人户分离 household (registered in A, living in B) and one of street A only, each
    with a plain submitted visit."""
    split = world.household("A1", "B1", advisor=world.adv_a)
    only_a = world.household("A2", advisor=world.adv_a)
    rows = {
        "split": visit_row(split, NOW, status="submitted"),
        "only_a": visit_row(only_a, NOW, status="submitted"),
    }
    with unit_of_work(session):
        session.add_all(rows.values())
    return rows


@pytest.mark.parametrize("which", ["split", "only_a"])
@pytest.mark.parametrize("who", sorted(SEES))
def test_bulk_approve_per_role_and_scope(world, console, places, session, who, which):
    c = console.as_user(getattr(world, who))
    visit = places[which]
    assert c.post(BULK, {"record": [f"visit:{visit.id}"]}).status_code == 302
    page = _text(c.get("/console/review"))
    if which in SEES[who]:
        assert _status(session, visit) == "approved" and "已审核 1 条记录" in page
    else:
        assert _status(session, visit) == "submitted"
        # Refused like an unknown id: the household is not named.
        assert "已不在您辖区的待审核队列中" in page and str(visit.id) not in page
        head = session.get(Household, visit.household_id).head_name
        assert head not in page


def test_bulk_approve_needs_a_console_role(world, console, places, session):
    assert console.post(BULK, {"record": [f"visit:{places['split'].id}"]}).status_code == 302
    c = console.as_user(world.sup_a)
    with unit_of_work(session):
        world.sup_a.role = "advisor"
    assert c.post(BULK, {"record": [f"visit:{places['split'].id}"]}).status_code == 403
    assert _status(session, places["split"]) == "submitted"


def test_a_resubmitted_visit_shows_old_and_new_and_the_thread(world, console, client, session):
    home = world.household("A1", advisor=world.adv_a)
    tablet = Tablet(client, world.adv_a)
    rid = uuid.uuid4()
    data = visit_data(home, income_change="same")
    tablet.push([tablet.mutation("visit", rid, data)])
    with unit_of_work(session):
        workflow.return_record(
            session,
            actor=world.sup_a,
            entity="visit",
            record_id=rid,
            comment="收入情况写错了",
            now=datetime.now(UTC),
        )
    fixed = {**data, "income_change": "down", "status": "resubmitted"}
    tablet.push([tablet.mutation("visit", rid, fixed)])
    page = _text(console.as_user(world.sup_a).get(f"/console/review/visit/{rid}"))
    assert "本次更正的内容" in page
    changes = page[page.index('id="resubmission-changes"') :]
    changes = changes[: changes.index("</table>")]
    assert "收入变化" in changes and "<del>无变化</del>" in changes and "<ins>减少</ins>" in changes
    assert changes.count("<tr>") == 2  # the header and the one changed field
    thread = page[page.index('id="review-thread"') :]
    assert "收入情况写错了" in thread and "已更正并重新提交" in thread
    assert world.sup_a.display_name in thread and world.adv_a.display_name in thread


@pytest.mark.parametrize(
    ("back", "location"),
    [
        ("/console/review?urgent=&community=", "/console/review?urgent=&community="),
        ("/console/review", "/console/review"),
        ("//evil.example/console/review", "/console/review"),
        ("/console/reviewer", "/console/review"),
    ],
)
def test_the_queue_comes_back_with_its_filters_and_only_the_queue(
    world, console, queue, back, location
):
    c = console.as_user(world.sup_a)
    response = c.post(BULK, {"record": [f"visit:{queue['plain1'].id}"], "next": back})
    assert response.headers["Location"] == location
