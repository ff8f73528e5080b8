"""The review queue and the household file ask the database a fixed number of questions,
whatever the page holds, and still return the right records, households and names."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Interview, User
from server.services.core import audit
from server.services.core.transaction import unit_of_work
from server.services.households import household_file
from server.services.review import queue as review
from tests.factories import NOW, visit_row


@pytest.fixture
def fresh(session):
    """A new session (an empty identity map, as a request has) and ``load(user)`` to get a
    user in it. The test's own session is committed first: on SQLite every transaction
    takes the write lock, so only one of the two may hold one at a time."""
    with Session(db.engine, expire_on_commit=False) as other:

        def load(user):
            user_id = user.id
            session.commit()
            return other.get(User, user_id)

        yield other, load


@contextmanager
def counting():
    """The number of SQL statements sent inside the block (a one-item list)."""
    sent = [0]

    def count(*_args):
        sent[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _interview(household, advisor, at, status="submitted") -> Interview:
    return Interview(
        id=uuid.uuid4(),
        household_id=household.id,
        advisor_id=advisor.id,
        device_id="t",
        interviewed_at=at,
        interviewee_role="neighbour",
        statement="邻居称其近期生活正常",
        corroborates="yes",
        status=status,
    )


@pytest.fixture
def waiting(world, session):
    """Six records waiting in street A (one urgent, one interview), one approved, and one
    waiting in street B; returned as the queue's expected order of street A's."""
    homes = [world.household("A1", advisor=world.adv_a) for _ in range(3)]
    other = world.household("B1", advisor=world.adv_b)
    with unit_of_work(session):
        rows = [
            visit_row(
                homes[n % 3],
                NOW - timedelta(days=10 - n),
                status=status,
                urgent=urgent,
                advisor_id=world.adv_a.id,
            )  # fmt: skip
            for n, (status, urgent) in enumerate(
                [
                    ("submitted", False),
                    ("resubmitted", False),
                    ("submitted", True),
                    ("submitted", False),
                    ("approved", False),
                ]  # fmt: skip
            )
        ]
        interview = _interview(homes[1], world.adv_a, NOW - timedelta(days=8, hours=12))
        session.add_all([*rows, interview])
        session.add(visit_row(other, NOW - timedelta(days=20), status="submitted"))
    urgent, rest = rows[2], [rows[0], rows[1], interview, rows[3]]
    return [urgent, *rest]


def test_the_queue_lists_records_with_their_households_urgent_first(world, session, waiting):
    page = review.review_queue(session, world.sup_a, review.ReviewFilter(), 1, 50)
    assert page.total == 5
    assert [item.record.id for item in page.items] == [r.id for r in waiting]
    assert [item.entity for item in page.items] == ["visit", "visit", "visit", "interview", "visit"]
    for item in page.items:
        assert item.household.id == item.record.household_id


def test_a_later_queue_page_holds_the_rest(world, session, waiting):
    page = review.review_queue(session, world.sup_a, review.ReviewFilter(), 2, 3)
    assert [item.record.id for item in page.items] == [r.id for r in waiting[3:]]


def test_the_queue_costs_the_same_statements_for_4_or_5_rows(world, waiting, fresh):
    session, load = fresh
    sizes = []
    for page_size in (4, 5):  # both pages hold visits and the interview
        session.expunge_all()  # nothing answered from the identity map
        actor = load(world.sup_a)
        with counting() as sent:
            page = review.review_queue(session, actor, review.ReviewFilter(), 1, page_size)
        assert len(page.items) == page_size
        sizes.append(sent[0])
        session.commit()
    assert sizes[0] == sizes[1]


def test_an_empty_queue(world, session):
    page = review.review_queue(session, world.sup_b, review.ReviewFilter(), 1, 50)
    assert (page.total, page.items) == (0, [])


def test_the_timeline_names_who_did_what(world, session, fresh):
    home = world.household("A1", advisor=world.adv_a)
    with unit_of_work(session):
        session.add(visit_row(home, NOW - timedelta(days=3), advisor_id=world.adv_a.id))
        session.add(visit_row(home, NOW - timedelta(days=40), advisor_id=world.adv_b.id))
        session.add(visit_row(home, NOW - timedelta(days=1), status="draft"))
        change = {"hardship_level": ["medium", "high"]}
        audit.record(session, actor=world.sup_a, action="update", entity="household",
                     entity_id=home.id, now=NOW, diff=change)  # fmt: skip
    names = world.sup_a.display_name, world.adv_a.display_name, world.adv_b.display_name
    other, load = fresh
    home_id, actor = home.id, load(world.sup_a)
    with counting() as sent:
        file = household_file.household_file(other, actor, home_id, today=NOW.date())
    other.commit()
    kinds = [(e.kind, e.who) for e in file.timeline]
    assert ("change", names[0]) in kinds
    assert [w for k, w in kinds if k == "visit"] == [names[1], names[2]]
    assert "draft" not in [e.row.status for e in file.timeline if e.kind == "visit"]
    assert sent[0] <= 16  # a fixed number: not one per entry or per user


def test_a_page_past_the_end_still_knows_the_total(world, session, waiting):
    page = review.review_queue(session, world.sup_a, review.ReviewFilter(), 4, 2)
    assert (page.total, page.items) == (5, [])
