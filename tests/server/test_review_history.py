"""A resubmitted record's earlier version and thread, from the audit trail of the push."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.services.core.transaction import unit_of_work
from server.services.review import queue, workflow
from server.services.review.history import FieldChange
from tests.factories import NOW, interview_data, visit_data, visit_row
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def _return(session, world, entity, rid, comment):
    with unit_of_work(session):
        workflow.return_record(
            session,
            actor=world.sup_a,
            entity=entity,
            record_id=rid,
            comment=comment,
            now=datetime.now(UTC),
        )


def _detail(session, world, entity, rid):
    session.expire_all()
    return queue.review_detail(session, world.sup_a, entity, rid)


def test_a_correction_pushed_from_the_tablet_is_shown_field_by_field(world, session, tablet, home):
    rid = uuid.uuid4()
    first = visit_data(home, notes="初稿", estimated_monthly_income=None)
    tablet.push([tablet.mutation("visit", rid, first)])
    _return(session, world, "visit", rid, "请注明收入")
    fixed = {**first, "notes": "已补充", "estimated_monthly_income": "1500.00"}
    fixed.update(status="resubmitted", income_change="down", findings=["income_drop"])
    [result] = tablet.push([tablet.mutation("visit", rid, fixed)])
    assert result["status"] == "applied"
    detail = _detail(session, world, "visit", rid)
    assert detail.record.status == "resubmitted"
    # Exactly the fields the advisor changed: no bookkeeping, no unchanged field.
    assert detail.changes == [
        FieldChange("estimated_monthly_income", None, "1500.00"),
        FieldChange("findings", [], ["income_drop"]),
        FieldChange("income_change", "unknown", "down"),
        FieldChange("notes", "初稿", "已补充"),
    ]
    steps = [(e.action, e.actor, e.comment) for e in detail.thread]
    adv, sup = world.adv_a.display_name, world.sup_a.display_name
    assert steps == [
        ("sync_create", adv, None),
        ("return", sup, "请注明收入"),
        ("sync_correct", adv, None),
    ]
    assert detail.thread[2].fields == (
        "estimated_monthly_income",
        "findings",
        "income_change",
        "notes",
    )


def test_a_second_round_shows_what_changed_since_the_last_return(world, session, tablet, home):
    rid = uuid.uuid4()
    data = visit_data(home, notes="一")
    tablet.push([tablet.mutation("visit", rid, data)])
    _return(session, world, "visit", rid, "第一次退回")
    tablet.push([tablet.mutation("visit", rid, {**data, "notes": "二", "status": "resubmitted"})])
    _return(session, world, "visit", rid, "第二次退回")
    again = {**data, "notes": "二", "living_conditions": "好转", "status": "resubmitted"}
    tablet.push([tablet.mutation("visit", rid, again)])
    detail = _detail(session, world, "visit", rid)
    assert detail.changes == [FieldChange("living_conditions", "基本生活有保障", "好转")]
    comments = [e.comment for e in detail.thread if e.action == "return"]
    assert comments == ["第一次退回", "第二次退回"]


def test_an_interview_correction_is_shown_too(world, session, tablet, home):
    rid = uuid.uuid4()
    data = interview_data(home)
    tablet.push([tablet.mutation("interview", rid, data)])
    _return(session, world, "interview", rid, "请写明受访人")
    fixed = {**data, "interviewee_name": "王阿姨", "status": "resubmitted"}
    tablet.push([tablet.mutation("interview", rid, fixed)])
    detail = _detail(session, world, "interview", rid)
    assert detail.changes == [FieldChange("interviewee_name", None, "王阿姨")]


def test_a_record_never_returned_shows_no_earlier_version(world, session, tablet, home):
    rid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", rid, visit_data(home))])
    detail = _detail(session, world, "visit", rid)
    assert detail.changes == [] and [e.action for e in detail.thread] == ["sync_create"]


def test_what_changed_since_the_previous_visit(world, session, tablet, home):
    with unit_of_work(session):
        session.add(
            visit_row(
                home,
                NOW - timedelta(days=60),
                income_change="same",
                living_conditions="基本生活有保障",
                advisor_id=world.adv_a.id,
            )
        )
    rid = uuid.uuid4()
    data = visit_data(home, income_change="down", findings=["job_loss"], situation="changed")
    tablet.push([tablet.mutation("visit", rid, data)])
    detail = _detail(session, world, "visit", rid)
    assert detail.since_previous == [
        FieldChange("income_change", "same", "down"),
        FieldChange("findings", [], ["job_loss"]),
        FieldChange("situation", "none", "changed"),
    ]
