"""Push answers are true and belong to their tablet and advisor, over real HTTP (issue 8).

``duplicate`` only for the very mutation the server holds; every other id at or below the
mark is refused with the mark; two advisors who name their tablets alike share nothing.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.models import Visit
from tests.factories import nth_instant, visit_data
from tests.server.sync_helpers import HttpTablet


@pytest.fixture
def world(live_world):
    return live_world


@pytest.fixture
def home(world, session):
    household = world.household("A1", advisor=world.adv_a)
    session.commit()  # hold no transaction (SQLite's write lock) while the server works
    return household


@pytest.fixture
def tablet_of(live_server):
    def make(user, device_id: str | None = None) -> HttpTablet:
        return HttpTablet(live_server, user, device_id)

    return make


def stored(session, vid) -> int:
    """How many rows the server holds for visit ``vid`` (read in a short transaction: on
    SQLite an open one would hold the write lock the live server needs)."""
    vid = uuid.UUID(str(vid))
    session.commit()
    count = session.scalar(select(func.count()).select_from(Visit).where(Visit.id == vid))
    session.commit()
    return count


def visit(tablet, home, n: int, mutation_id: int | None = None, **extra) -> dict:
    return tablet.mutation(
        "visit",
        uuid.uuid4(),
        visit_data(home, when=nth_instant(n), **extra),
        mutation_id=mutation_id,
    )


def test_a_reordered_batch_never_acknowledges_the_one_left_behind(tablet_of, world, home, session):
    tablet = tablet_of(world.adv_a)
    batch = [
        visit(tablet, home, 1, 201),
        visit(tablet, home, 2, 202),
        visit(tablet, home, 3, 204, outcome="no such outcome"),
        visit(tablet, home, 4, 203),
    ]
    results = tablet.push(batch)
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    assert results[3]["reason"] == "stale_mutation_id"
    assert results[3]["high_water"] == 204
    assert stored(session, batch[3]["id"]) == 0
    # Sent again above the mark, it is stored once; replayed, it is a true duplicate.
    again = {**batch[3], "mutation_id": 205}
    assert tablet.push([again])[0]["status"] == "applied"
    assert tablet.push([again])[0]["status"] == "duplicate"
    assert stored(session, batch[3]["id"]) == 1


def test_a_reused_id_with_other_content_is_refused_and_not_stored(tablet_of, world, home, session):
    tablet = tablet_of(world.adv_a)
    first = visit(tablet, home, 1, 7)
    assert tablet.push([first])[0]["status"] == "applied"
    other = visit(tablet, home, 2, 7)  # another visit under the same id (a restored store)
    answer = tablet.push([other])[0]
    assert (answer["status"], answer["reason"], answer["high_water"]) == (
        "rejected",
        "mutation_id_reused",
        7,
    )
    assert stored(session, other["id"]) == 0
    assert tablet.push([first])[0]["status"] == "duplicate"  # the very same one still is


def test_another_advisor_with_the_same_device_id_reads_no_answer_of_the_first(
    tablet_of, world, home, session, client, token_of
):
    a = tablet_of(world.adv_a, device_id="tablet-shared")
    b = tablet_of(world.adv_b, device_id="tablet-shared")
    office = client.patch(
        f"/api/v1/households/{home.id}",
        json={"phone": "13700000000"},
        headers=token_of(world.sup_a),
    )
    assert office.status_code == 200
    session.commit()
    phone = a.mutation("household", home.id, {"phone": "13900000001"}, "update", 0, 1)
    key = uuid.uuid4().hex
    conflict = a.push([phone], key=key)[0]
    assert conflict["status"] == "conflict" and "server" in conflict
    # B replays A's very request (same Idempotency-Key, same body, same mutation id): B's
    # own bookkeeping answers — B may not touch A's household — never A's stored answer
    # with the household's record in it.
    replay = b.push([phone], key=key)[0]
    assert replay["status"] == "rejected" and replay["reason"] == "not_in_caseload"
    assert "server" not in replay
    assert a.push([phone], key=key)[0] == conflict  # A's own replay is still A's answer


def test_another_advisors_huge_mutation_id_moves_no_mark_of_the_first(
    tablet_of, world, home, session
):
    a = tablet_of(world.adv_a, device_id="tablet-shared")
    b = tablet_of(world.adv_b, device_id="tablet-shared")
    theirs = world.household("B1", advisor=world.adv_b)
    session.commit()
    # The largest jump one push may make from a mark of 0 (issue 21: no further).
    assert b.push([visit(b, theirs, 1, 2**31)])[0]["status"] == "applied"
    mine = visit(a, home, 2, 1)
    assert a.push([mine])[0]["status"] == "applied"
    assert stored(session, mine["id"]) == 1


def test_a_correction_cannot_move_a_visit_out_of_the_caseload(
    tablet_of, world, home, session, client, token_of
):
    tablet = tablet_of(world.adv_a)
    vid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", vid, visit_data(home))])
    returned = client.post(
        f"/api/v1/visits/{vid}/return", json={"comment": "请补充"}, headers=token_of(world.sup_a)
    )
    assert returned.status_code == 200
    session.commit()
    elsewhere = world.household("B1", advisor=world.adv_b)
    session.commit()
    moved = visit_data(elsewhere, status="resubmitted")
    answer = tablet.push([tablet.mutation("visit", vid, moved)])[0]
    assert (answer["status"], answer["errors"].keys()) == ("rejected", {"household_id"})
    session.commit()
    assert session.get(Visit, vid).household_id == home.id
