"""A returned visit resubmitted unchanged, twice: each resubmission goes back to review."""

# A real store and client against the app, in-process and over real HTTP (issue 16 case 1).

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.models import Visit
from server.services.review.queue import ReviewFilter, review_queue
from tests.factories import visit_form


@pytest.fixture
def office(client, session, token_of, world):
    """Supervisor A's review actions through the API (see tests/e2e/test_client.py)."""
    headers = token_of(world.sup_a)

    def call(method: str, url: str, **kwargs):
        response = client.open(url, method=method, headers=headers, **kwargs)
        session.commit()  # release SQLite's write lock for the live server thread
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return call


def server_status(session, visit_id: str) -> str:
    session.commit()  # a fresh snapshot
    status = session.scalar(select(Visit.status).where(Visit.id == uuid.UUID(visit_id)))
    session.commit()
    return status


def test_a_second_unchanged_resubmission_goes_back_to_review(world, make_client, office, session):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    visit_id = tablet.store.save_visit(visit_form(home))["id"]
    tablet.sync()
    for round_ in ("请注明收入", "仍需核实"):
        office("POST", f"/api/v1/visits/{visit_id}/return", json={"comment": round_})
        tablet.sync()
        returned = tablet.store.record("visit", visit_id)
        assert returned["status"] == "returned" and returned["review_comment"] == round_

        # Unchanged: the advisor confirms what was recorded.
        tablet.store.save_visit(returned)
        assert tablet.sync().pushed == {"applied": 1}

        assert server_status(session, visit_id) == "resubmitted"
        shown = tablet.store.record("visit", visit_id)
        assert (shown["status"], shown["local_state"]) == ("resubmitted", "synced")
    # Back in the supervisor's review queue.
    queue = review_queue(session, world.sup_a, ReviewFilter(), 1, 50)
    assert [str(item.record.id) for item in queue.items] == [visit_id]
    session.commit()
