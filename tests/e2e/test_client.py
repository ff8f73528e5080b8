"""The sync engine end to end: a real store, a real app, in-process and over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import Visit
from tests.factories import visit_form


@pytest.fixture
def office(client, session, token_of, world):
    """The street office acting through the API, as supervisor A.

    The test client runs inside the test's own app context, so its requests share the
    test's session; ending that transaction afterwards releases SQLite's write lock for
    the live server thread.
    """
    headers = token_of(world.sup_a)

    def call(method: str, url: str, **kwargs):
        response = client.open(url, method=method, headers=headers, **kwargs)
        session.commit()  # nothing left to write; a rollback would expire the test's rows
        assert response.status_code == 200, response.get_json()
        return response

    return call


def server_visits(session) -> int:
    return session.scalar(select(func.count()).select_from(Visit))


def test_a_tablet_pulls_its_caseload_records_offline_and_syncs(world, make_client, session):
    home = world.household("A1", advisor=world.adv_a)
    world.household("B1", advisor=world.adv_b)
    tablet = make_client(world.adv_a)
    seen = []
    report = tablet.sync(lambda phase, done, total: seen.append(phase))
    assert [h["id"] for h in tablet.store.households()] == [str(home.id)]
    assert report.pulled >= 2 and "pull" in seen
    for _ in range(20):
        tablet.store.save_visit(visit_form(home))
    tablet.store.save_visit(visit_form(home), draft=True)
    assert tablet.store.pending_count() == 20
    report = tablet.sync(lambda phase, done, total: seen.append((phase, done, total)))
    assert report.pushed == {"applied": 20}
    assert ("push", 20, 20) in seen  # batches of 7: progress reaches the total
    assert tablet.store.pending_count() == 0
    assert server_visits(session) == 20  # the draft stays on the tablet
    # The tablet keeps the latest 12 synced visits of each household (and its draft).
    assert (
        len([v for v in tablet.store.visits_for(str(home.id)) if v["local_state"] == "synced"])
        == 12
    )


def test_two_tablets_converge(world, make_client):
    home = world.household("A1", advisor=world.adv_a)
    first, second = make_client(world.adv_a, "one"), make_client(world.adv_a, "two")
    first.sync()
    second.sync()
    first.store.save_visit(visit_form(home))
    second.store.save_visit(visit_form(home, notes="第二台"))
    first.sync()
    second.sync()
    first.sync()
    assert first.store.checksum() == second.store.checksum()
    assert len(first.store.visits_for(str(home.id))) == 2


def test_refusals_go_to_needs_attention_with_the_servers_words(world, make_client, session):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    late = datetime.now(UTC) + timedelta(hours=2)
    tablet.store.save_visit(visit_form(home, when=late))
    report = tablet.sync()
    assert report.needs_attention == 1 and tablet.store.pending_count() == 0
    [item] = tablet.store.attention_items()
    assert item["status"] == "rejected" and "visited_at" in item["errors"]
    assert server_visits(session) == 0


def test_a_household_edit_in_conflict_is_shown_not_lost(world, make_client, office):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    tablet.store.update_household(str(home.id), {"phone": "13911112222"})
    office("PATCH", f"/api/v1/households/{home.id}", json={"phone": "020-12345678"})
    tablet.sync()
    [item] = tablet.store.attention_items()
    assert item["status"] == "conflict" and item["server"]["phone"] == "020-12345678"


def test_a_returned_visit_is_corrected_and_resubmitted(world, make_client, office, session):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    saved = tablet.store.save_visit(visit_form(home))
    tablet.sync()
    office("POST", f"/api/v1/visits/{saved['id']}/return", json={"comment": "请注明收入"})
    tablet.sync()
    returned = tablet.store.record("visit", saved["id"])
    assert returned["status"] == "returned" and returned["review_comment"] == "请注明收入"
    tablet.store.save_visit({**returned, "estimated_monthly_income": "1500.00"})
    assert tablet.sync().pushed == {"applied": 1}
    session.expire_all()
    assert session.get(Visit, uuid.UUID(saved["id"])).status == "resubmitted"


def test_leaving_the_caseload_waits_for_pending_records(world, make_client, office, session):
    home = world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.sync()
    tablet.store.save_visit(visit_form(home))
    successor = world.user("advisor", world.street_a)  # an assignee works in the street
    office("PATCH", f"/api/v1/households/{home.id}", json={"assigned_advisor_id": successor.id})
    tablet.pull()  # the tombstone arrives before the push: the household must stay
    assert tablet.store.household(str(home.id)) is not None
    tablet.sync()  # the visit reaches the server, then the household goes
    assert tablet.store.household(str(home.id)) is None
    assert server_visits(session) == 1
    assert session.scalar(select(Visit.flag)) == "left_caseload"


def test_an_unreadable_cursor_restarts_the_pull(world, make_client):
    world.household("A1", advisor=world.adv_a)
    tablet = make_client(world.adv_a)
    tablet.store.set_state("cursor", "not-a-cursor")
    changes, _ = tablet.pull()
    assert changes >= 2 and len(tablet.store.households()) == 1
